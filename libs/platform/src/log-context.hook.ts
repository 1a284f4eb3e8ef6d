import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HEADERS } from '@lib/contracts';
import {
  runInLogContext,
  traceIdOf,
  type LogContext,
  type LogContextFields,
} from '@lib/observability';

/** The log context of one HTTP request: its request id, and the trace of its `traceparent`. */
class RequestLogContext implements LogContext {
  private built?: LogContextFields;

  constructor(private readonly request: FastifyRequest) {}

  fields(): LogContextFields {
    if (this.built === undefined) {
      const traceparent = this.request.headers[HEADERS.traceparent];
      const traceId = traceIdOf(typeof traceparent === 'string' ? traceparent : undefined);
      this.built = traceId
        ? { requestId: this.request.id, traceId }
        : { requestId: this.request.id };
    }
    return this.built;
  }
}

const CONTEXT = Symbol('log context');

type WithContext = FastifyRequest & { [CONTEXT]?: RequestLogContext };

/**
 * Runs each request, from its first hook to the route handler (a Nest controller included), inside
 * a log context, so that every line logged for it carries its `requestId` (and `traceId`). Install
 * it before any other `onRequest` hook.
 */
export function installLogContextHook(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const context = new RequestLogContext(request);
    (request as WithContext)[CONTEXT] = context;
    runInLogContext(context, done);
  });
  // Why again here: Fastify parses the body in the request stream's callbacks, which run in the
  // socket's async context, so the hooks after parsing and the handler would have lost it.
  fastify.addHook('preValidation', (request, _reply, done) => {
    const context = (request as WithContext)[CONTEXT];
    if (context === undefined) return done();
    runInLogContext(context, done);
  });
}
