import type { OutgoingMessage } from '@lib/queue';
import { MESSAGING, spanContextOf, tracer, tracingEnabled } from '@lib/observability';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';

/** Most replay spans one replayed batch starts: one per distinct request, beyond that none. */
const MAX_REPLAY_SPANS = 128;

/**
 * A span for a publish from the caller (`<stream> publish`, or `<stream> spool append` when the
 * events go to the spool), the child of the active context (the request's span); undefined with
 * tracing off.
 */
export function startPublishSpan(
  operation: 'publish' | 'spool append',
  messages: readonly OutgoingMessage[],
): Span | undefined {
  if (!tracingEnabled() || messages.length === 0) return undefined;
  return tracer().startSpan(
    `${messages[0].stream} ${operation}`,
    { kind: SpanKind.PRODUCER, attributes: attributesOf(messages, operation) },
    context.active(),
  );
}

/**
 * Replay spans (`<stream> publish`), one per distinct stored `traceparent`, each the child of the
 * stored context: a spooled event's replay belongs to the trace of the request that brought it.
 */
export function startReplaySpans(messages: readonly OutgoingMessage[]): Span[] {
  if (!tracingEnabled() || messages.length === 0) return [];
  const byParent = new Map<string, OutgoingMessage[]>();
  for (const message of messages) {
    const parent = message.headers?.traceparent;
    if (parent === undefined) continue;
    const group = byParent.get(parent);
    if (group) group.push(message);
    else if (byParent.size < MAX_REPLAY_SPANS) byParent.set(parent, [message]);
  }
  const spans: Span[] = [];
  for (const group of byParent.values()) {
    const parent = spanContextOf(group[0].headers);
    if (!parent) continue;
    spans.push(
      tracer().startSpan(
        `${group[0].stream} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: { ...attributesOf(group, 'publish'), 'event_pipeline.spool.replay': true },
        },
        trace.setSpanContext(context.active(), parent),
      ),
    );
  }
  return spans;
}

/** Ends spans, marking them failed when `error` is given. */
export function endSpans(spans: readonly (Span | undefined)[], error?: unknown): void {
  for (const span of spans) {
    if (!span) continue;
    if (error !== undefined) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  }
}

function attributesOf(messages: readonly OutgoingMessage[], operation: string) {
  return {
    [MESSAGING.destination]: messages[0].stream,
    [MESSAGING.operationType]: operation === 'publish' ? 'send' : 'spool',
    [MESSAGING.batchCount]: messages.length,
  };
}
