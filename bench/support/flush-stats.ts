import { metricSample } from './metrics-text';

/** What a work queue's flushes did between two readings of an app's `/metrics`. */
export interface FlushStats {
  readonly flushes: number;
  readonly meanMs: number;
  readonly meanEvents: number;
  readonly meanRows: number;
}

/** The running totals of one work queue's flush histograms, as read from `/metrics`. */
export interface FlushTotals {
  readonly count: number;
  readonly seconds: number;
  readonly events: number;
  readonly rows: number;
}

/** Reads the flush totals of `queue` (committed flushes) from the app at `url`. */
export async function flushTotals(url: string, queue: string): Promise<FlushTotals> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const ofQueue = `queue="${queue}"`;
  const committed = 'outcome="ok"';
  return {
    count: metricSample(text, 'work_queue_flush_duration_seconds_count', ofQueue, committed),
    seconds: metricSample(text, 'work_queue_flush_duration_seconds_sum', ofQueue, committed),
    events: metricSample(text, 'work_queue_flush_events_sum', ofQueue),
    rows: metricSample(text, 'work_queue_flush_rows_sum', ofQueue),
  };
}

/** The flushes between two readings. */
export function flushStats(before: FlushTotals, after: FlushTotals): FlushStats {
  const flushes = after.count - before.count;
  const per = (n: number) => (flushes > 0 ? n / flushes : 0);
  return {
    flushes,
    meanMs: per((after.seconds - before.seconds) * 1000),
    meanEvents: per(after.events - before.events),
    meanRows: per(after.rows - before.rows),
  };
}

/** `N flushes, mean E events → R rows in M ms`. */
export function formatFlushStats(stats: FlushStats): string {
  return (
    `${stats.flushes} flushes, mean ${Math.round(stats.meanEvents)} events → ${Math.round(stats.meanRows)} rows ` +
    `in ${stats.meanMs.toFixed(1)} ms`
  );
}
