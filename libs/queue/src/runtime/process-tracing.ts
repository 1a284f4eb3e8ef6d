import { HEADERS } from '@lib/contracts';
import { LINKED_CONTEXTS, linksOf, MESSAGING, traceContextOf, tracer } from '@lib/observability';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { RawMessage } from './envelope';

/**
 * Runs a handler invocation in a `<stream> process` span (call only with tracing on). For one
 * record the span is the child of the record's `traceparent`; for a batch it links to every
 * record's context (a batch has many parents), with `messaging.batch.message_count`, and is a
 * root span, or the child of that context when all records share one. The handler runs with the span active, so what it starts (a
 * work queue's add, a publish) can refer to it.
 */
export async function processInSpan<T>(
  stream: string,
  transport: string,
  raws: RawMessage | readonly RawMessage[],
  run: () => Promise<T>,
): Promise<T> {
  const attributes: Attributes = {
    [MESSAGING.system]: transport,
    [MESSAGING.destination]: stream,
    [MESSAGING.operationType]: 'process',
  };
  let span: Span;
  let parent = ROOT_CONTEXT;
  if (isBatch(raws)) {
    const { links, count } = linksOf(raws.map((raw) => raw.headers));
    attributes[MESSAGING.batchCount] = raws.length;
    attributes[LINKED_CONTEXTS] = count;
    // Records of one request have one context: no parent to choose, so the span continues it.
    if (count === 1) parent = trace.setSpanContext(ROOT_CONTEXT, links[0].context);
    span = tracer().startSpan(
      `${stream} process`,
      { kind: SpanKind.CONSUMER, attributes, links, root: count !== 1 },
      parent,
    );
  } else {
    const raw = raws;
    const eventId = raw.headers[HEADERS.eventId];
    if (eventId !== undefined) attributes[MESSAGING.messageId] = eventId;
    attributes[MESSAGING.partition] = String(raw.position.partition);
    if (transport === 'kafka') {
      attributes[MESSAGING.kafkaOffset] = Number(raw.position.offset);
      if (raw.key !== null) attributes[MESSAGING.kafkaKey] = raw.key;
    }
    parent = traceContextOf(raw.headers);
    span = tracer().startSpan(
      `${stream} process`,
      { kind: SpanKind.CONSUMER, attributes, root: parent === ROOT_CONTEXT },
      parent,
    );
  }
  try {
    return await context.with(trace.setSpan(parent, span), run);
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

function isBatch(raws: RawMessage | readonly RawMessage[]): raws is readonly RawMessage[] {
  return Array.isArray(raws);
}
