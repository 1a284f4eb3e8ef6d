import { registeredMetric } from '@lib/observability';
import { Counter, type Registry } from 'prom-client';
import { createMergeMetrics, type MergeMetrics } from './merge-metrics';

/** The sketch merge's metrics. */
export interface SketchMergeMetrics extends MergeMetrics {
  /** Rows found that do not decode (left in the table, skipped). */
  rejected(rows: number): void;
}

/** Registers (or reuses, when several apps share a registry) the merge's metrics. */
export function createSketchMergeMetrics(registry: Registry): SketchMergeMetrics {
  const merge = createMergeMetrics(registry, {
    prefix: 'pv_sketch_merge',
    durationHelp:
      'Time of one merge transaction of flushed visitors into the unique-visitor sketches',
    rowsHelp: 'Rows of page_visitor_updates (one per flush and shard with visitors) merged',
    keysHelp: 'Sketches (day and page) merged into',
  });
  const rejected = registeredMetric(
    registry,
    'pv_sketch_merge_rejected_rows_total',
    () =>
      new Counter({
        name: 'pv_sketch_merge_rejected_rows_total',
        help: 'Rows of page_visitor_updates that do not decode: left in the table, skipped (see the error log)',
        registers: [registry],
      }),
  );
  return {
    ...merge,
    rejected(rowCount) {
      if (rowCount > 0) rejected.inc(rowCount);
    },
  };
}
