import { metricSample } from './metrics-text';

/** The running totals of one of pv-counter's merges (`<prefix>_*` metrics), as read from `/metrics`. */
export interface MergeTotals {
  readonly transactions: number;
  readonly seconds: number;
  readonly rows: number;
  readonly keys: number;
}

/** Reads the totals of the merge whose metrics start with `prefix` (e.g. `pv_view_merge`) from the app at `url`. */
export async function mergeTotals(url: string, prefix: string): Promise<MergeTotals> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    transactions: metricSample(text, `${prefix}_duration_seconds_count`, 'outcome="ok"'),
    seconds: metricSample(text, `${prefix}_duration_seconds_sum`, 'outcome="ok"'),
    rows: metricSample(text, `${prefix}_update_rows_total`),
    keys: metricSample(text, `${prefix}_keys_total`),
  };
}

/** `N transactions, mean M ms, R rows → K keys` between two readings. */
export function formatMergeStats(before: MergeTotals, after: MergeTotals): string {
  const n = after.transactions - before.transactions;
  const mean = n > 0 ? ((after.seconds - before.seconds) * 1000) / n : 0;
  return `${n} transactions, mean ${mean.toFixed(0)} ms, ${after.rows - before.rows} rows → ${after.keys - before.keys} keys`;
}
