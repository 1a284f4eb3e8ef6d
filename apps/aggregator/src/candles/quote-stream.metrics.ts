import { registeredMetric } from '@lib/observability';
import { Counter, Gauge, type Registry } from 'prom-client';

/** What the quote stream reports on /metrics. */
export interface QuoteStreamMetrics {
  readonly events: Counter;
  readonly blockedPushes: Counter;
}

/**
 * Registers the SSE metrics: subscribers, pending quotes over all subscribers (bounded by
 * subscribers × symbols however slow they read), bytes buffered in their responses, events written and pushes skipped because a
 * client's socket had not drained.
 */
export function createQuoteStreamMetrics(
  registry: Registry,
  state: { subscribers(): number; pending(): number; bufferedBytes(): number; symbols(): number },
): QuoteStreamMetrics {
  const registers = [registry];
  registeredMetric(
    registry,
    'aggregator_sse_subscribers',
    () =>
      new Gauge({
        name: 'aggregator_sse_subscribers',
        help: 'Open quote stream (SSE) connections',
        registers,
        collect() {
          this.set(state.subscribers());
        },
      }),
  );
  registeredMetric(
    registry,
    'aggregator_sse_pending_quotes',
    () =>
      new Gauge({
        name: 'aggregator_sse_pending_quotes',
        help: 'Changed quotes held for SSE subscribers and not yet pushed (at most one per symbol and subscriber)',
        registers,
        collect() {
          this.set(state.pending());
        },
      }),
  );
  registeredMetric(
    registry,
    'aggregator_quote_symbols',
    () =>
      new Gauge({
        name: 'aggregator_quote_symbols',
        help: "Symbols with a live quote in this process (the bound of each subscriber's pending quotes)",
        registers,
        collect() {
          this.set(state.symbols());
        },
      }),
  );
  registeredMetric(
    registry,
    'aggregator_sse_buffered_bytes',
    () =>
      new Gauge({
        name: 'aggregator_sse_buffered_bytes',
        help: 'Bytes written to SSE responses and not yet taken by their sockets',
        registers,
        collect() {
          this.set(state.bufferedBytes());
        },
      }),
  );
  const events = registeredMetric(
    registry,
    'aggregator_sse_events_total',
    () =>
      new Counter({
        name: 'aggregator_sse_events_total',
        help: 'Quote events written to SSE subscribers',
        registers,
      }),
  );
  const blockedPushes = registeredMetric(
    registry,
    'aggregator_sse_blocked_pushes_total',
    () =>
      new Counter({
        name: 'aggregator_sse_blocked_pushes_total',
        help: 'Pushes skipped because the subscriber had not read the previous ones (its quotes stay coalesced)',
        registers,
      }),
  );
  return { events, blockedPushes };
}
