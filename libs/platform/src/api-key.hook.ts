import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './http-error';

const PROTECTED = /^\/(v1|admin)(\/|\?|$)/;

/**
 * Requires `x-api-key` on `/v1/*` and `/admin/*` when keys are configured. It runs on request,
 * before the body is parsed, so unauthenticated callers cannot make the app parse anything.
 */
export function installApiKeyHook(fastify: FastifyInstance, keys: readonly string[] | undefined): void {
  if (!keys || keys.length === 0) return;
  const accepted = keys.map((key) => Buffer.from(key));
  fastify.addHook('onRequest', async (request, reply) => {
    if (!PROTECTED.test(request.url)) return;
    const given = request.headers['x-api-key'];
    if (typeof given === 'string' && matchesAny(Buffer.from(given), accepted)) return;
    const message = given === undefined ? 'missing x-api-key header' : 'invalid API key';
    return reply.status(401).send(errorBody(401, message));
  });
}

function matchesAny(given: Buffer, accepted: Buffer[]): boolean {
  let match = false;
  for (const key of accepted) {
    // Compare against every key in constant time so timing does not reveal which prefix matched.
    if (key.length === given.length && timingSafeEqual(key, given)) match = true;
  }
  return match;
}
