import { LINKED_CONTEXTS, MAX_LINKS, tracer } from '@lib/observability';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Link,
  type Span,
} from '@opentelemetry/api';

/**
 * The span contexts active when events were added (the handlers' `process` spans), gathered for
 * the flush that writes them: a flush has many parents, so its span links to each (at most
 * {@link MAX_LINKS}, the total recorded as an attribute). Used only with tracing on.
 */
export class FlushLinks {
  private links: Link[] = [];
  private seen = new Set<string>();

  /** Notes the active span's context, once per span. */
  capture(): void {
    const spanContext = trace.getSpanContext(context.active());
    if (!spanContext || this.seen.has(spanContext.spanId)) return;
    this.seen.add(spanContext.spanId);
    if (this.links.length < MAX_LINKS) this.links.push({ context: spanContext });
  }

  /** Hands over what was gathered and starts gathering for the next flush. */
  take(): FlushLinks {
    const taken = new FlushLinks();
    taken.links = this.links;
    taken.seen = this.seen;
    this.links = [];
    this.seen = new Set();
    return taken;
  }

  /** Puts a failed flush's links back in front of what was gathered since. */
  restore(failed: FlushLinks): void {
    for (const id of this.seen) failed.seen.add(id);
    this.links = [...failed.links, ...this.links].slice(0, MAX_LINKS);
    this.seen = failed.seen;
  }

  /**
   * A `<queue> flush` span linked to the gathered contexts: a root span, or the child of the
   * only one when a single handler span added everything.
   */
  startSpan(queue: string): Span {
    const single = this.seen.size === 1 && this.links.length === 1;
    return tracer().startSpan(
      `${queue} flush`,
      {
        kind: SpanKind.INTERNAL,
        root: !single,
        links: this.links,
        attributes: { 'db.operation.name': 'flush', [LINKED_CONTEXTS]: this.seen.size },
      },
      single ? trace.setSpanContext(ROOT_CONTEXT, this.links[0].context) : ROOT_CONTEXT,
    );
  }
}

/** Ends a flush span with its outcome. */
export function endFlushSpan(
  span: Span | undefined,
  outcome: { events: number; rows?: number } | { error: unknown },
): void {
  if (!span) return;
  if ('error' in outcome) {
    span.recordException(outcome.error instanceof Error ? outcome.error : String(outcome.error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  } else {
    span.setAttribute('event_pipeline.flush.events', outcome.events);
  }
  span.end();
}
