import { registeredMetric } from '@lib/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What happened to events at a flush. */
export type EventOutcome = 'applied' | 'duplicate' | 'fenced' | 'discarded';

/** The metrics of one queue, labelled with its name. */
export interface QueueMetrics {
  depth(events: number): void;
  paused(paused: boolean): void;
  flushed(seconds: number, outcome: 'ok' | 'failed', events: number, rows: number): void;
  events(outcome: EventOutcome, count: number): void;
}

/**
 * Work-queue metrics on the app's registry. Depth and paused are set at flushes and pause
 * changes rather than on every add, which keeps add() free of metric bookkeeping; they lag by at
 * most one flush interval (or one backoff while failing).
 */
export function createQueueMetrics(registry: Registry, queue: string): QueueMetrics {
  const registers = [registry];
  const depth = registeredMetric(
    registry,
    'work_queue_depth',
    () =>
      new Gauge({
        name: 'work_queue_depth',
        help: 'Events buffered or being flushed',
        labelNames: ['queue'],
        registers,
      }),
  );
  const paused = registeredMetric(
    registry,
    'work_queue_paused',
    () =>
      new Gauge({
        name: 'work_queue_paused',
        help: '1 while the queue holds its streams paused',
        labelNames: ['queue'],
        registers,
      }),
  );
  const duration = registeredMetric(
    registry,
    'work_queue_flush_duration_seconds',
    () =>
      new Histogram({
        name: 'work_queue_flush_duration_seconds',
        help: 'Duration of flush transactions',
        labelNames: ['queue', 'outcome'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  );
  const size = registeredMetric(
    registry,
    'work_queue_flush_events',
    () =>
      new Histogram({
        name: 'work_queue_flush_events',
        help: 'Events per committed flush',
        labelNames: ['queue'],
        buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
        registers,
      }),
  );
  const rows = registeredMetric(
    registry,
    'work_queue_flush_rows',
    () =>
      new Histogram({
        name: 'work_queue_flush_rows',
        help: 'Values handed to the writer per committed flush',
        labelNames: ['queue'],
        buckets: [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
        registers,
      }),
  );
  const events = registeredMetric(
    registry,
    'work_queue_events_total',
    () =>
      new Counter({
        name: 'work_queue_events_total',
        help: 'Events by what their flush did with them',
        labelNames: ['queue', 'outcome'],
        registers,
      }),
  );
  const failures = registeredMetric(
    registry,
    'work_queue_flush_failures_total',
    () =>
      new Counter({
        name: 'work_queue_flush_failures_total',
        help: 'Flushes that failed (their events stay buffered and are flushed again)',
        labelNames: ['queue'],
        registers,
      }),
  );
  const labels = { queue };
  // Present from the start, so that rate() and increase() see the first failure.
  failures.inc(labels, 0);
  return {
    depth: (value) => depth.set(labels, value),
    paused: (value) => paused.set(labels, value ? 1 : 0),
    flushed(seconds, outcome, eventCount, rowCount) {
      duration.observe({ queue, outcome }, seconds);
      if (outcome === 'failed') failures.inc(labels);
      if (outcome === 'ok') {
        size.observe(labels, eventCount);
        rows.observe(labels, rowCount);
      }
    },
    events: (outcome, count) => count > 0 && events.inc({ queue, outcome }, count),
  };
}
