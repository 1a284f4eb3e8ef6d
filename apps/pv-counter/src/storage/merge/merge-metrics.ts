import { registeredMetric } from '@lib/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What one merge transaction wrote, for its metrics. */
export interface MergeCounts {
  /** Rows of the update table merged. */
  readonly rows: number;
  /** Rows of the target table written. */
  readonly keys: number;
}

/** The metrics every scheduled merge has. */
export interface MergeMetrics {
  /**
   * Runs one merge transaction and records it: its duration with its outcome, and when it
   * succeeded the rows and keys `counts` reads off its result. Rethrows a failure.
   */
  timed<T>(merge: () => Promise<T>, counts: (result: T) => MergeCounts): Promise<T>;
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
    async timed(merge, counts) {
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      let result;
      try {
        result = await merge();
      } catch (error) {
        duration.observe({ outcome: 'failed' }, seconds());
        throw error;
      }
      duration.observe({ outcome: 'ok' }, seconds());
      const written = counts(result);
      rows.inc(written.rows);
      keys.inc(written.keys);
      return result;
    },
  };
}
