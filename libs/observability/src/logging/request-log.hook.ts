import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LogRecordInput } from './log-record';
import type { LogRecorder } from './log-recorder';
import { redactQuery } from './redact';
import type { RequestLogSummary } from './request-summary';

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

/** How the hook treats successful requests. */
export interface RequestLogOptions {
  /** Counts successful, fast, untagged requests instead of recording each (when enabled). */
  readonly summary?: RequestLogSummary;
  /** Requests at least this slow are always recorded on their own. */
  readonly slowRequestMs?: number;
  /** Whether info-level request lines reach stdout (LOG_LEVEL info or debug); default true. */
  readonly printInfoLines?: boolean;
}

/**
 * Records every finished request (see {@link requestLogInput}) once its response has been sent.
 * With an enabled summary, a request below 400 that took less than `slowRequestMs` and carries
 * no client `x-request-id` is counted in the summary instead (its stdout line is still written
 * when info lines are printed); every other request gets its own record, so what someone may look
 * up is always there.
 */
export function installRequestLogHook(
  fastify: FastifyInstance,
  recorder: LogRecorder,
  options: RequestLogOptions = {},
): void {
  const summary = options.summary?.enabled ? options.summary : undefined;
  const slowMs = options.slowRequestMs ?? Infinity;
  const printInfoLines = options.printInfoLines ?? true;
  fastify.addHook('onResponse', (request, reply, done) => {
    try {
      const route = request.routeOptions.url;
      const status = reply.statusCode;
      if (
        summary &&
        status < 400 &&
        route !== undefined &&
        !isQuiet(route) &&
        request.headers['x-request-id'] === undefined &&
        reply.elapsedTime < slowMs
      ) {
        // The hot path of every successful request: count it, build nothing it does not need.
        summary.add(request.method, route, status, Math.round(reply.elapsedTime * 1000) / 1000);
        if (printInfoLines) {
          const input = requestLogInput(request, reply);
          if (input) recorder.print(input);
        }
      } else {
        const input = requestLogInput(request, reply);
        if (input) recorder.record(input);
      }
    } catch {
      // Logging must never fail a request, even one that has already been answered.
    }
    done();
  });
}
