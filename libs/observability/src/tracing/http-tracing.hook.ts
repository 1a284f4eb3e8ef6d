import {
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracer } from './tracing-provider';
import { tracingEnabled } from './tracing-state';

const SPAN = Symbol('httpSpan');
type TracedRequest = FastifyRequest & { [SPAN]?: Span };

/**
 * A server span per request, named `<method> <route template>` and the child of the client's
 * `traceparent` when it sent one. Installed only while tracing is on (nothing runs per request
 * otherwise); install it first, so that requests answered by an earlier hook get a span too.
 */
export function installHttpTracingHook(fastify: FastifyInstance): void {
  if (!tracingEnabled()) return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const span = tracer().startSpan(
      `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          'url.path': request.url.split('?', 1)[0],
          'http.request.id': request.id,
        },
      },
      propagation.extract(ROOT_CONTEXT, request.headers),
    );
    (request as TracedRequest)[SPAN] = span;
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = (request as TracedRequest)[SPAN];
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      (request as TracedRequest)[SPAN] = undefined;
    }
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    const span = (request as TracedRequest)[SPAN];
    span?.setStatus({ code: SpanStatusCode.ERROR, message: 'client aborted' });
    span?.end();
    (request as TracedRequest)[SPAN] = undefined;
    done();
  });
}

/** The context of the request's server span, or undefined when tracing is off. */
export function requestTraceContext(request: FastifyRequest): Context | undefined {
  const span = (request as TracedRequest)[SPAN];
  return span ? trace.setSpan(ROOT_CONTEXT, span) : undefined;
}
