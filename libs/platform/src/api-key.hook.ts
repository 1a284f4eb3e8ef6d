import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errorBody, type ErrorBody } from './http-error';

const CLIENT_ROUTE = /^\/v1(\/|\?|$)/;
const ADMIN_ROUTE = /^\/admin(\/|\?|$)/;

/** The keys that open the protected routes. */
export interface ApiKeys {
  /** `API_KEYS`: open `/v1/*`. */
  readonly client?: readonly string[];
  /** `ADMIN_API_KEYS`: open `/admin/*`, and `/v1/*` too (an operator may read what clients read). */
  readonly admin?: readonly string[];
}

/** Whom a given `x-api-key` belongs to. */
type Holder = 'admin' | 'client' | 'nobody';

/**
 * Decides a request's answer from its path and `x-api-key`: `undefined` lets it through, an error
 * body refuses it. `/v1/*` needs a client or admin key once `API_KEYS` is set; `/admin/*` needs an
 * admin key once either list is set (a client key gets 403, and with no `ADMIN_API_KEYS` every key
 * does: admin routes are closed); with neither list set (loopback only) everything is open.
 */
export function createApiKeyCheck(
  keys: ApiKeys,
): (url: string, given: unknown) => ErrorBody | undefined {
  const client = (keys.client ?? []).map(digest);
  const admin = (keys.admin ?? []).map(digest);
  const holderOf = (given: string): Holder => {
    const hash = digest(given);
    // Every key is compared, so timing does not reveal which list or key matched.
    const isAdmin = matchesAny(hash, admin);
    const isClient = matchesAny(hash, client);
    return isAdmin ? 'admin' : isClient ? 'client' : 'nobody';
  };
  return (url, given) => {
    const adminRoute = ADMIN_ROUTE.test(url);
    const guarded = adminRoute
      ? client.length + admin.length > 0
      : CLIENT_ROUTE.test(url) && client.length > 0;
    if (!guarded) return undefined;
    if (given === undefined) return errorBody(401, 'missing x-api-key header');
    const holder = typeof given === 'string' ? holderOf(given) : 'nobody';
    if (holder === 'nobody') return errorBody(401, 'invalid API key');
    if (!adminRoute || holder === 'admin') return undefined;
    return errorBody(
      403,
      admin.length === 0
        ? 'admin routes are closed: ADMIN_API_KEYS is not set'
        : 'a client key may not call admin routes: use a key from ADMIN_API_KEYS',
    );
  };
}

/**
 * Requires `x-api-key` on `/v1/*` and `/admin/*` as {@link createApiKeyCheck} decides. It runs on
 * request, before the body is parsed, so unauthenticated callers cannot make the app parse anything.
 */
export function installApiKeyHook(fastify: FastifyInstance, keys: ApiKeys): void {
  if (!keys.client?.length && !keys.admin?.length) return;
  const check = createApiKeyCheck(keys);
  fastify.addHook('onRequest', async (request, reply) => {
    const refused = check(request.url, request.headers['x-api-key']);
    if (refused) return reply.status(refused.statusCode).send(refused);
  });
}

function digest(key: string): Buffer {
  // Equal-length digests let timingSafeEqual compare keys of any length without revealing it.
  return createHash('sha256').update(key).digest();
}

function matchesAny(given: Buffer, accepted: readonly Buffer[]): boolean {
  let match = false;
  for (const key of accepted) {
    if (timingSafeEqual(key, given)) match = true;
  }
  return match;
}
