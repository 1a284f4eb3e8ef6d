import { registeredMetric } from '@lib/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The metrics every scheduled merge has. */
export interface MergeMetrics {
  merged(seconds: number, outcome: 'ok' | 'failed', rows: number, keys: number): void;
}

/** Names and help texts of one merge's metrics (`<prefix>_duration_seconds`, …). */
export interface MergeMetricNames {
  /** e.g. `pv_view_merge`. */
  readonly prefix: string;
  readonly durationHelp: string;
  /** Help of `<prefix>_update_rows_total`. */
  readonly rowsHelp: string;
  /** Help of `<prefix>_keys_total`. */
  readonly keysHelp: string;
}

/** Registers (or reuses, when several apps share a registry) a merge's duration, rows and keys. */
export function createMergeMetrics(registry: Registry, names: MergeMetricNames): MergeMetrics {
  const registers = [registry];
  const durationName = `${names.prefix}_duration_seconds`;
  const duration = registeredMetric(
    registry,
    durationName,
    () =>
      new Histogram({
        name: durationName,
        help: names.durationHelp,
        labelNames: ['outcome'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  );
  const rowsName = `${names.prefix}_update_rows_total`;
  const rows = registeredMetric(
    registry,
    rowsName,
    () => new Counter({ name: rowsName, help: names.rowsHelp, registers }),
  );
  const keysName = `${names.prefix}_keys_total`;
  const keys = registeredMetric(
    registry,
    keysName,
    () => new Counter({ name: keysName, help: names.keysHelp, registers }),
  );
  return {
    merged(seconds, outcome, rowCount, keyCount) {
      duration.observe({ outcome }, seconds);
      if (outcome !== 'ok') return;
      rows.inc(rowCount);
      keys.inc(keyCount);
    },
  };
}
