import { isSpanContextValid, trace } from '@opentelemetry/api';

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}/;
const INVALID_TRACE_ID = '0'.repeat(32);

/**
 * The trace id of a W3C `traceparent` (`00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`), or
 * undefined when the header is absent or malformed (the all-zero id is invalid by the spec).
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  if (traceparent === undefined) return undefined;
  const match = TRACEPARENT.exec(traceparent.trim().toLowerCase());
  if (match === null || match[1] === INVALID_TRACE_ID) return undefined;
  return match[1];
}

/** The trace id of the active OpenTelemetry span, or undefined when none (or tracing is off). */
export function activeTraceId(): string | undefined {
  const span = trace.getActiveSpan();
  if (span === undefined) return undefined;
  const spanContext = span.spanContext();
  return isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
