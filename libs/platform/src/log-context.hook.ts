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

/**
 * Runs each request, from its first hook to the route handler (a Nest controller included), inside
 * a log context, so that every line logged for it carries its `requestId` (and `traceId`). Install
 * it before any other `onRequest` hook.
 */
export function installLogContextHook(fastify: FastifyInstance): void {
  // `run` around `done` suffices: the later hooks and the handler continue from `done`, and Fastify
  // runs the body parser in an AsyncResource of the request, so a body read in several socket
  // callbacks keeps the context too (the spec sends one large enough).
  fastify.addHook('onRequest', (request, _reply, done) => {
    runInLogContext(new RequestLogContext(request), done);
  });
}
