import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

/** A finished span as tests read it, whether it was exported in-process or over OTLP. */
export interface SpanRecord {
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The {@link SpanRecord} of a span from an in-memory exporter. */
export function spanRecordOf(span: ReadableSpan): SpanRecord {
  const context = span.spanContext();
  return {
    name: span.name,
    traceId: context.traceId,
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    attributes: span.attributes,
  };
}
