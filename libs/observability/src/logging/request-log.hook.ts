import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LogRecordInput } from './log-record';
import type { LogRecorder } from './log-recorder';
import { redactQuery } from './redact';

/** The `route` of a request no route matched (404s, requests refused before routing). */
export const UNMATCHED_ROUTE = '(unmatched)';

const MAX_PATH_CHARS = 200;

/** Probes and scrapes: recorded only when they fail, or they would drown everything else. */
function isQuiet(route: string | undefined): boolean {
  return route === '/metrics' || route?.startsWith('/health/') === true;
}

/**
 * The request record of a finished request: method, route pattern (`/v1/page-views/:pageId`,
 * never the URL with its ids), status, duration and request id; the query string with secrets
 * redacted. Never headers or bodies. Undefined for a successful probe or scrape.
 */
export function requestLogInput(
  request: FastifyRequest,
  reply: FastifyReply,
): LogRecordInput | undefined {
  const route = request.routeOptions.url;
  const status = reply.statusCode;
  if (isQuiet(route) && status < 400) return undefined;
  const method = request.method;
  const durationMs = Math.round(reply.elapsedTime * 1000) / 1000;
  const attributes: Record<string, unknown> = { method, route: route ?? UNMATCHED_ROUTE, status };
  // Without a route there is no pattern; the path (never the query string) says what was asked.
  if (route === undefined) attributes.path = request.url.split('?', 1)[0].slice(0, MAX_PATH_CHARS);
  const query = redactQuery(request.query);
  if (query) attributes.query = query;
  return {
    kind: 'request',
    level: status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info',
    message: `${method} ${route ?? attributes.path} ${status}`,
    requestId: request.id,
    durationMs,
    attributes,
  };
}

/** Records every finished request (see {@link requestLogInput}) once its response has been sent. */
export function installRequestLogHook(fastify: FastifyInstance, recorder: LogRecorder): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    try {
      const input = requestLogInput(request, reply);
      if (input) recorder.record(input);
    } catch {
      // Logging must never fail a request, even one that has already been answered.
    }
    done();
  });
}
