/**
 * Publish → visible latency of pv-counter at a paced rate: page views of the benchmark's
 * distribution are published to `page-views` at `ratePerSecond` in 50 ms ticks (acks=-1, sends
 * not awaited one by one so a slow acknowledgement does not slow the pace); every 100th view is a
 * marker on a page of its own on a day of its own (`MARKER_DAY`). A poller reads that day's rows
 * of page_views_daily every 20 ms, which is exactly what the read API serves (it reads the table
 * directly, no cache); a marker's latency runs from just before its send call to the first poll
 * that sees its row, so it includes the producer's acknowledgement and up to one poll interval.
 */
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { Client } from 'pg';
import { pageViewMessage, zipfPageViews } from './page-view-data';

/** The day markers are dated, so that polling them reads a handful of rows. */
export const MARKER_DAY = '2000-01-01';
const TICK_MS = 50;
const POLL_MS = 20;
const MARKER_EVERY = 100;

/** Latency figures in ms, and what was sent. */
export interface VisibilityLatency {
  readonly sent: number;
  readonly achievedRate: number;
  readonly markers: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** One marker's page id, for a read-API spot check. */
  readonly sampleMarker: string;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Publishes for `seconds` at `ratePerSecond` and measures when each marker becomes visible. */
export async function measureVisibility(
  kafka: Kafka,
  databaseUrl: string,
  day: string,
  options: { ratePerSecond: number; seconds: number; pages: number; visitors: number },
): Promise<VisibilityLatency> {
  const perTick = Math.round((options.ratePerSecond * TICK_MS) / 1000);
  const ticks = Math.round((options.seconds * 1000) / TICK_MS);
  const views = zipfPageViews(perTick * ticks, options.pages, options.visitors);
  const tag = views[0].eventId.split('-')[0];
  const publishedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();

  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const { rows } = await db.query<{ page_id: string }>('SELECT page_id FROM page_views_daily WHERE day = $1', [MARKER_DAY]);
      const now = performance.now();
      for (const row of rows) if (!seenAt.has(row.page_id)) seenAt.set(row.page_id, now);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  const started = performance.now();
  for (let t = 0; t < ticks; t++) {
    const due = started + t * TICK_MS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const messages: Message[] = [];
    const markers: string[] = [];
    for (let j = t * perTick; j < (t + 1) * perTick; j++) {
      if (j % MARKER_EVERY === 0) {
        const pageId = `lat-${tag}-${j}`;
        markers.push(pageId);
        messages.push(pageViewMessage({ eventId: `lat-${tag}-${j}`, pageId, visitorId: views[j].visitorId }, MARKER_DAY));
      } else messages.push(pageViewMessage(views[j], day));
    }
    const now = performance.now();
    for (const marker of markers) publishedAt.set(marker, now);
    const send = producer.send({ topic: 'page-views', messages, acks: -1 }).finally(() => inFlight.delete(send));
    inFlight.add(send);
    if (inFlight.size >= 20) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const sendMs = performance.now() - started;
  await producer.disconnect();

  const deadline = Date.now() + 120_000;
  while (seenAt.size < publishedAt.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  await db.end();
  if (seenAt.size < publishedAt.size) throw new Error(`only ${seenAt.size} of ${publishedAt.size} markers visible after 2 min`);
  const latencies = [...publishedAt].map(([page, at]) => seenAt.get(page)! - at).sort((a, b) => a - b);
  return {
    sent: views.length,
    achievedRate: (views.length / sendMs) * 1000,
    markers: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    sampleMarker: [...publishedAt.keys()][0],
  };
}
