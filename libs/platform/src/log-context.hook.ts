import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HEADERS } from '@lib/contracts';
import { isSpanContextValid, trace, type SpanContext } from '@opentelemetry/api';
import {
  requestTraceContext,
  runInLogContext,
  traceIdOf,
  type LogContext,
  type LogContextFields,
} from '@lib/observability';

/** The log context of one HTTP request: its request id and trace id. */
class RequestLogContext implements LogContext {
  private built?: LogContextFields;

  constructor(private readonly request: FastifyRequest) {}

  fields(): LogContextFields {
    if (this.built === undefined) {
      const traceId = this.traceId();
      this.built = traceId
        ? { requestId: this.request.id, traceId }
        : { requestId: this.request.id };
    }
    return this.built;
  }

  /** The request's server span's trace (tracing on), else its `traceparent`'s. */
  private traceId(): string | undefined {
    const spanContext = requestSpanContext(this.request);
    if (spanContext !== undefined) return spanContext.traceId;
    const traceparent = this.request.headers[HEADERS.traceparent];
    return traceIdOf(typeof traceparent === 'string' ? traceparent : undefined);
  }
}

function requestSpanContext(request: FastifyRequest): SpanContext | undefined {
  const context = requestTraceContext(request);
  const spanContext = context && trace.getSpanContext(context);
  return spanContext && isSpanContextValid(spanContext) ? spanContext : undefined;
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
