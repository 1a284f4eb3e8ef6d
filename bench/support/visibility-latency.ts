/**
 * Publish → visible latency of pv-counter at a paced rate. The views are published by a worker
 * thread (bench/support/paced-page-views.worker.ts: 50 ms ticks, every 100th view a marker on a
 * page of its own on `MARKER_DAY`), so that producing does not delay this thread's poller. The
 * poller reads that day's rows of page_views_live (merged and waiting views) from the first marker not seen yet every 20 ms,
 * which is exactly what the read API serves (it reads the table directly, no cache); a marker's
 * latency runs from just before its send call to the first poll that sees its row (wall-clock
 * time in both threads), so it includes the producer's acknowledgement and up to one poll
 * interval.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Client } from 'pg';
import type { PacedPageViewsInput, PacedPageViewsMessage } from './paced-page-views.worker';

/** The day markers are dated, so that polling them reads a handful of rows. */
export const MARKER_DAY = '2000-01-01';
const POLL_MS = 20;

/** Latency figures in ms, and what was sent. */
export interface VisibilityLatency {
  readonly sent: number;
  readonly achievedRate: number;
  readonly markers: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** The slowest marker's latency per second of publishing (index 0: the first second). */
  readonly maxPerSecond: number[];
  /** One marker's page id, for a read-API spot check. */
  readonly sampleMarker: string;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Publishes (in a worker) for `seconds` at `ratePerSecond` and measures when each marker becomes visible. */
export async function measureVisibility(
  brokers: string[],
  databaseUrl: string,
  day: string,
  options: {
    ratePerSecond: number;
    seconds: number;
    pages: number;
    visitors: number;
    table?: string;
  },
): Promise<VisibilityLatency> {
  // Another consumer's (day, page_id, …) table may stand in for pv-counter's view.
  const { table = 'page_views_live', ...paced } = options;
  const publishedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  /** Markers in publishing order, which is also their sort order. */
  const published: string[] = [];
  let firstUnseen = 0;

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      while (firstUnseen < published.length && seenAt.has(published[firstUnseen])) firstUnseen++;
      // Only the markers from the first unseen one on: reading every marker row 50 times a second
      // grew to 100,000 rows/s by the end and took CPU from what is measured.
      if (firstUnseen < published.length) {
        const { rows } = await db.query<{ page_id: string }>(
          `SELECT page_id FROM ${table} WHERE day = $1 AND page_id >= $2`,
          [MARKER_DAY, published[firstUnseen]],
        );
        const now = Date.now();
        // Only this run's markers: a table may hold an earlier run's, which sort anywhere.
        for (const row of rows)
          if (publishedAt.has(row.page_id) && !seenAt.has(row.page_id))
            seenAt.set(row.page_id, now);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  const input: PacedPageViewsInput = { brokers, day, markerDay: MARKER_DAY, ...paced };
  const worker = new Worker(join(__dirname, 'paced-page-views.worker.js'), { workerData: input });
  const { sent, sendMs } = await new Promise<{ sent: number; sendMs: number }>(
    (resolve, reject) => {
      worker.on('message', (message: PacedPageViewsMessage) => {
        if (message.kind === 'published') {
          for (const marker of message.markers) {
            publishedAt.set(marker, message.at);
            published.push(marker);
          }
        } else resolve(message);
      });
      worker.on('error', reject);
      worker.on('exit', (code) =>
        reject(new Error(`the paced producer exited (${code}) before it was done`)),
      );
    },
  );
  await worker.terminate();

  const deadline = Date.now() + 120_000;
  while (seenAt.size < publishedAt.size && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  await db.end();
  if (seenAt.size < publishedAt.size)
    throw new Error(`only ${seenAt.size} of ${publishedAt.size} markers visible after 2 min`);
  const latencies = [...publishedAt]
    .map(([page, at]) => seenAt.get(page)! - at)
    .sort((a, b) => a - b);
  // The slowest marker of each second of publishing: shows whether the tail is spread or a stall.
  const firstAt = Math.min(...publishedAt.values());
  const maxPerSecond: number[] = [];
  for (const [page, at] of publishedAt) {
    const second = Math.floor((at - firstAt) / 1000);
    maxPerSecond[second] = Math.max(maxPerSecond[second] ?? 0, seenAt.get(page)! - at);
  }
  return {
    maxPerSecond: Array.from(maxPerSecond, (ms) => ms ?? 0),
    sent,
    achievedRate: (sent / sendMs) * 1000,
    markers: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    sampleMarker: [...publishedAt.keys()][0],
  };
}
