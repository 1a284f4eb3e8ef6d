import { registeredMetric } from '@lib/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The sketch merge's metrics. */
export interface SketchMergeMetrics {
  merged(seconds: number, outcome: 'ok' | 'failed', rows: number, keys: number): void;
  /** Rows found that do not decode (left in the table, skipped). */
  rejected(rows: number): void;
}

/** Registers (or reuses, when several apps share a registry) the merge's metrics. */
export function createSketchMergeMetrics(registry: Registry): SketchMergeMetrics {
  const registers = [registry];
  const duration = registeredMetric(
    registry,
    'pv_sketch_merge_duration_seconds',
    () =>
      new Histogram({
        name: 'pv_sketch_merge_duration_seconds',
        help: 'Time of one merge transaction of flushed visitors into the unique-visitor sketches',
        labelNames: ['outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  );
  const rows = registeredMetric(
    registry,
    'pv_sketch_merge_update_rows_total',
    () =>
      new Counter({
        name: 'pv_sketch_merge_update_rows_total',
        help: 'Rows of page_visitor_updates (one per flush with visitors) merged',
        registers,
      }),
  );
  const keys = registeredMetric(
    registry,
    'pv_sketch_merge_keys_total',
    () =>
      new Counter({
        name: 'pv_sketch_merge_keys_total',
        help: 'Sketches (day and page) merged into',
        registers,
      }),
  );
  const rejected = registeredMetric(
    registry,
    'pv_sketch_merge_rejected_rows_total',
    () =>
      new Counter({
        name: 'pv_sketch_merge_rejected_rows_total',
        help: 'Rows of page_visitor_updates that do not decode: left in the table, skipped (see the error log)',
        registers,
      }),
  );
  return {
    rejected(rowCount) {
      if (rowCount > 0) rejected.inc(rowCount);
    },
    merged(seconds, outcome, rowCount, keyCount) {
      duration.observe({ outcome }, seconds);
      if (outcome !== 'ok') return;
      rows.inc(rowCount);
      keys.inc(keyCount);
    },
  };
}
