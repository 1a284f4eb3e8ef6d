import { HEADERS, type MessageHeaders } from '@lib/contracts';
import {
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Link,
  type SpanContext,
} from '@opentelemetry/api';
import { tracingEnabled } from './tracing-state';

/** version-traceid-parentid-flags, lower-case hex (W3C Trace Context, level 1). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** W3C: at most 32 list members; a header this long is not one a propagator would keep either. */
const MAX_TRACESTATE = 512;

/** True for a W3C `traceparent` a propagator would accept (not version ff, ids not all zero). */
export function isValidTraceparent(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = TRACEPARENT.exec(value);
  return (
    match !== null && match[1] !== 'ff' && match[2] !== ZERO_TRACE_ID && match[3] !== ZERO_SPAN_ID
  );
}

/**
 * The headers every event of a request carries: `x-request-id` always; `traceparent` (and
 * `tracestate`) of `spanContext` when tracing is on, else the client's own when valid, else none.
 */
export function requestTraceHeaders(
  requestId: string,
  incoming: Readonly<Record<string, string | string[] | undefined>>,
  spanContext?: Context,
): MessageHeaders {
  const headers: MessageHeaders = { [HEADERS.requestId]: requestId };
  if (spanContext !== undefined && tracingEnabled()) {
    propagation.inject(spanContext, headers);
    return headers;
  }
  const traceparent = incoming[HEADERS.traceparent];
  if (!isValidTraceparent(traceparent)) return headers;
  headers[HEADERS.traceparent] = traceparent;
  const tracestate = incoming[HEADERS.tracestate];
  if (typeof tracestate === 'string' && tracestate.length <= MAX_TRACESTATE)
    headers[HEADERS.tracestate] = tracestate;
  return headers;
}

/** The trace context carried by message headers (the root context when they carry none). */
export function traceContextOf(headers: MessageHeaders | undefined): Context {
  if (!headers || headers[HEADERS.traceparent] === undefined) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** The remote span context carried by message headers, if any. */
export function spanContextOf(headers: MessageHeaders | undefined): SpanContext | undefined {
  return trace.getSpanContext(traceContextOf(headers));
}

/**
 * Links to the distinct span contexts carried by `headers`, at most `max` of them; `count` is
 * how many distinct contexts there were in all (recorded as an attribute when capped).
 */
export function linksOf(
  headersList: Iterable<MessageHeaders | undefined>,
  max = MAX_LINKS,
): { links: Link[]; count: number } {
  const seen = new Set<string>();
  const links: Link[] = [];
  for (const headers of headersList) {
    const traceparent = headers?.[HEADERS.traceparent];
    if (traceparent === undefined || seen.has(traceparent)) continue;
    seen.add(traceparent);
    if (links.length >= max) continue;
    const spanContext = spanContextOf(headers);
    if (spanContext) links.push({ context: spanContext });
  }
  return { links, count: seen.size };
}

/** Most links a batch or flush span carries; the total is recorded as an attribute. */
export const MAX_LINKS = 128;
