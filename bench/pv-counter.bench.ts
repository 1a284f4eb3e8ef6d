/**
 * `npm run bench -- pv-counter [events] [naiveEvents] [latencySeconds]`: the same page views
 * (default 500 000, Zipf s = 1 over 100 000 pages, visitors uniform over 200 000, one UTC day)
 * counted per (day, page) in PostgreSQL, in one run against a fresh Kafka broker (startBenchKafka,
 * 3 partitions) and a throwaway PostgreSQL database (TEST_PG_ADMIN_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, dropped afterwards), by
 * - baseline: a naive kafkajs `eachMessage` listener awaiting one upsert `views = views + 1` per
 *   view (bench/support/naive-page-views.ts, views only), on the first `naiveEvents` (default
 *   30 000) of the same topic: it would take many minutes for all, and its per-view cost does not
 *   depend on how many there are; its figures are per 100 000 events, extrapolated from that prefix;
 * - ours: the real pv-counter (the built app as a child process, BROKER=kafka, default settings)
 *   on all events: `@Batch(500)` + `@KeyedConcurrency(4)` → aggregate work queue → one flush
 *   transaction (the flush's views and visitors as a row each for the merges, processed eventIds,
 *   Kafka offsets); the views are added to page_views_daily every VIEW_MERGE_INTERVAL_MS and the
 *   sketches merged every SKETCH_MERGE_INTERVAL_MS after (the write cost includes those merges:
 *   the figures are taken once nothing waits for them). Counts are merged plus waiting views,
 *   as the read API counts them.
 * Throughput: from the first view visible in the table to the last (polled every 50 ms), the
 * app's start-up and consumer join excluded, as for the baseline. Then, with pv-counter still
 * running, p99 publish → visible latency at a paced 20 000 views/s (bench/support/visibility-latency.ts;
 * the producer runs in a worker thread so that it does not delay the poller).
 * Write cost per 100 000 views: row versions of the counting table (n_tup_ins + n_tup_upd, HOT
 * share), row versions of all tables (ours adds processed ids and offsets), WAL bytes.
 * BENCH_MAX_IN_FLIGHT sets pv-counter's CONSUMER_MAX_IN_FLIGHT (its default otherwise).
 * BENCH_TRACING=on runs pv-counter with tracing on (every span sampled, exported over OTLP/HTTP
 * to a local endpoint that discards them); compare with a run without it (tracing off, the default).
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDatabase, dropDatabaseAt } from '../test/support/databases';
import { startAppProcess } from '../test/support/app-process';
import {
  costFactor,
  formatRate,
  printHeadline,
  produceToNewTopic,
  startBenchKafka,
} from './support';
import { NAIVE_PAGE_VIEWS_TABLE, runNaivePageViews } from './support/naive-page-views';
import { pageViewMessage, zipfPageViews } from './support/page-view-data';
import { flushStats, flushTotals, formatFlushStats } from './support/flush-stats';
import { formatMergeStats, mergeTotals, type MergeTotals } from './support/merge-stats';
import { tableSize, writeCost, writeSnapshot, type WriteCost } from './support/pg-write-stats';
import { MARKER_DAY, measureVisibility } from './support/visibility-latency';
import { viewsCounted } from './support/page-view-counts';
import { benchTracing, startOtlpSink, tracingEnv, type OtlpSink } from './support/otlp-sink';

const NAME = 'pv-counter';
const TOPIC = 'page-views';
const PARTITIONS = 3;
const PAGES = 100_000;
const VISITORS = 200_000;
const LATENCY_RATE = 20_000;
const OURS_TABLE = 'page_views_daily';
/** Where flushes leave their views for the view merge into OURS_TABLE. */
const VIEW_UPDATES = 'page_view_updates';
/** Where pv-counter keeps its unique-visitor sketches, merged from SKETCH_UPDATES after the flushes. */
const SKETCH_TABLE = 'page_visitors_daily';
const SKETCH_UPDATES = 'page_visitor_updates';
/** pv-counter's work queue (DAILY_VIEWS_QUEUE), whose flush metrics are printed. */
const FLUSH_QUEUE = 'page-views-daily';

function describeCost(label: string, events: number, cost: WriteCost): void {
  const per = 100_000 / events;
  console.log(
    `${label} per 100k views: ${Math.round(cost.rowVersions * per)} row versions of the counting table ` +
      `(${Math.round(cost.updates * per)} updates, ${cost.updates > 0 ? ((cost.hotUpdates / cost.updates) * 100).toFixed(0) : '–'} % HOT), ` +
      `${Math.round(cost.allTablesRowVersions * per)} over all tables, ${((cost.walBytes * per) / 1024 / 1024).toFixed(1)} MiB WAL`,
  );
}

/** Rows of flushed views and visitors not merged into the count and sketch tables yet. */
async function updatesWaiting(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM ${SKETCH_UPDATES}) + (SELECT count(*) FROM ${VIEW_UPDATES})::int AS n`,
  );
  return Number(rows[0].n);
}

/** The totals of pv-counter's view and sketch merges. */
async function mergeSnapshot(url: string): Promise<[MergeTotals, MergeTotals]> {
  return [await mergeTotals(url, 'pv_view_merge'), await mergeTotals(url, 'pv_sketch_merge')];
}

function printMerges(
  before: [MergeTotals, MergeTotals],
  after: [MergeTotals, MergeTotals],
  when = '',
): void {
  console.log(
    `ours' merges${when}: views ${formatMergeStats(before[0], after[0])}; sketches ${formatMergeStats(before[1], after[1])}`,
  );
}

/** Runs the benchmark; the last line printed is the headline. */
export async function main(args: string[]): Promise<void> {
  const total = Number(args[0] ?? 500_000);
  const naiveCount = Math.min(total, Number(args[1] ?? 30_000));
  const latencySeconds = Number(args[2] ?? 10);
  const adminUrl = process.env.TEST_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const broker = await startBenchKafka();
  const url = await createDatabase(
    adminUrl,
    `ep_bench_pv_${Date.now()}_${randomBytes(2).toString('hex')}`,
  );
  const db = new Client({ connectionString: url });
  await db.connect();
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-bench-pv-'));
  let counter: Awaited<ReturnType<typeof startAppProcess>> | undefined;
  let sink: OtlpSink | undefined;
  try {
    const kafka = new Kafka({
      clientId: NAME,
      brokers: broker.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const day = new Date().toISOString().slice(0, 10);
    const views = zipfPageViews(total, PAGES, VISITORS);
    const distinct = new Set(views.map((v) => v.pageId)).size;
    const hottest = views.filter((v) => v.pageId === '/story/0').length;
    const producedAt = Date.now();
    // ~230 bytes a record: 4 000 a send stays under the broker's 1 MiB request limit.
    await produceToNewTopic(
      kafka,
      TOPIC,
      PARTITIONS,
      total,
      (i) => pageViewMessage(views[i], day),
      4_000,
    );
    console.log(
      `${total} page views over ${distinct} of ${PAGES} pages (Zipf s=1, hottest ${((hottest / total) * 100).toFixed(1)} %), ` +
        `visitors uniform over ${VISITORS}; produced to ${TOPIC} (${PARTITIONS} partitions) in ${((Date.now() - producedAt) / 1000).toFixed(1)} s`,
    );

    // Baseline, on a prefix of the same topic.
    const n0 = await writeSnapshot(db, NAIVE_PAGE_VIEWS_TABLE, 0);
    const naiveMs = await runNaivePageViews(broker.brokers, TOPIC, url, naiveCount);
    const naiveCost = await writeCost(db, n0, await writeSnapshot(db, NAIVE_PAGE_VIEWS_TABLE));
    const naiveRate = (naiveCount / naiveMs) * 1000;
    const naiveSum = await db.query<{ n: string }>(
      `SELECT sum(views)::text AS n FROM ${NAIVE_PAGE_VIEWS_TABLE}`,
    );
    if (Number(naiveSum.rows[0].n) !== naiveCount)
      throw new Error(`baseline counted ${naiveSum.rows[0].n}, expected ${naiveCount}`);
    console.log(
      `baseline (eachMessage → one upsert per view): ${naiveCount} views in ${(naiveMs / 1000).toFixed(1)} s = ${formatRate(naiveRate).replace('msg', 'views')} ` +
        `(all ${total} would take ~${Math.round(total / naiveRate)} s)`,
    );
    describeCost('baseline', naiveCount, naiveCost);

    // Ours: the app migrates the database at start-up; its first stats snapshot follows.
    sink = benchTracing() ? await startOtlpSink() : undefined;
    counter = await startAppProcess('pv-counter', {
      env: {
        OTEL_TRACES_EXPORTER: 'none',
        ...(sink ? tracingEnv(sink) : {}),
        BROKER: 'kafka',
        KAFKA_BROKERS: broker.brokers,
        DATABASE_URL: url,
        DATA_DIR: dataDir,
        ...(process.env.BENCH_MAX_IN_FLIGHT
          ? { CONSUMER_MAX_IN_FLIGHT: process.env.BENCH_MAX_IN_FLIGHT }
          : {}),
      },
      readyWithinMs: 120_000,
    });
    const o0 = await writeSnapshot(db, OURS_TABLE, 0);
    const s0 = await writeSnapshot(db, SKETCH_TABLE, 0);
    const flushes0 = await flushTotals(counter.url, FLUSH_QUEUE);
    const merges0 = await mergeSnapshot(counter.url);
    let first = 0;
    let atFirst = 0;
    let last = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const n = await viewsCounted(db, day);
      const now = performance.now();
      if (n > 0 && first === 0) {
        first = now;
        atFirst = n;
      }
      if (n >= total) {
        last = now;
        break;
      }
      if (Date.now() > deadline)
        throw new Error(`pv-counter counted ${n} of ${total} in 10 min\n${counter.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The write cost includes the view and sketch merges that follow the last flush.
    while ((await updatesWaiting(db)) > 0) {
      if (Date.now() > deadline)
        throw new Error(`pv-counter's merges did not finish\n${counter.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const mergedAfterMs = performance.now() - last;
    const oursCost = await writeCost(db, o0, await writeSnapshot(db, OURS_TABLE));
    const sketchCost = await writeCost(db, s0, await writeSnapshot(db, SKETCH_TABLE, 0));
    const oursRate = ((total - atFirst) / (last - first)) * 1000;
    const counted = await viewsCounted(db, day);
    if (counted !== total) throw new Error(`pv-counter counted ${counted}, expected ${total}`);
    console.log(
      `ours (pv-counter): ${total - atFirst} views in ${((last - first) / 1000).toFixed(1)} s after the first visible flush = ${formatRate(oursRate).replace('msg', 'views')}`,
    );
    describeCost('ours', total, oursCost);
    console.log(
      `ours' merges caught up ${Math.round(mergedAfterMs)} ms after the last view was visible (views are readable before: the read API adds those waiting); ` +
        `${Math.round((sketchCost.rowVersions * 100_000) / total)} row versions of ${SKETCH_TABLE} per 100k views (${sketchCost.updates > 0 ? ((sketchCost.hotUpdates / sketchCost.updates) * 100).toFixed(0) : '–'} % HOT, counted in "over all tables" above)`,
    );
    const flushes1 = await flushTotals(counter.url, FLUSH_QUEUE);
    const merges1 = await mergeSnapshot(counter.url);
    console.log(`ours' flushes: ${formatFlushStats(flushStats(flushes0, flushes1))}`);
    printMerges(merges0, merges1);
    const oursSize = await tableSize(db, OURS_TABLE);
    const sketchSize = await tableSize(db, SKETCH_TABLE);
    const naiveSize = await tableSize(db, NAIVE_PAGE_VIEWS_TABLE);
    console.log(
      `table size after: ours ${(oursSize.bytes / 1024 / 1024).toFixed(1)} MiB for ${oursSize.liveTuples} rows (${oursSize.deadTuples} dead), ` +
        `sketches ${(sketchSize.bytes / 1024 / 1024).toFixed(1)} MiB for ${sketchSize.liveTuples} rows (${sketchSize.deadTuples} dead); ` +
        `baseline ${(naiveSize.bytes / 1024 / 1024).toFixed(1)} MiB for ${naiveSize.liveTuples} rows (${naiveSize.deadTuples} dead) after its ${naiveCount} views`,
    );

    // Latency at a paced rate, with pv-counter caught up.
    const latency = await measureVisibility(broker.brokers.split(','), url, day, {
      ratePerSecond: LATENCY_RATE,
      seconds: latencySeconds,
      pages: PAGES,
      visitors: VISITORS,
    });
    console.log(
      `ours' flushes at ${LATENCY_RATE} views/s: ${formatFlushStats(flushStats(flushes1, await flushTotals(counter.url, FLUSH_QUEUE)))}`,
    );
    printMerges(merges1, await mergeSnapshot(counter.url), ` at ${LATENCY_RATE} views/s`);
    const spot = await fetch(
      `${counter.url}/v1/page-views/${encodeURIComponent(latency.sampleMarker)}?date=${MARKER_DAY}`,
    );
    const spotBody = (await spot.json()) as { views: number };
    if (spot.status !== 200 || spotBody.views !== 1)
      throw new Error(
        `read API spot check of ${latency.sampleMarker}: ${spot.status} ${JSON.stringify(spotBody)}`,
      );
    console.log(
      `publish → visible at ${LATENCY_RATE} views/s (achieved ${Math.round(latency.achievedRate)}/s, ${latency.sent} views, ${latency.markers} markers): ` +
        `p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms; ` +
        `slowest per second: ${latency.maxPerSecond.map((ms) => ms.toFixed(0)).join(' ')} ms`,
    );

    const per = (cost: WriteCost, events: number) => (cost.rowVersions * 100_000) / events;
    console.log(
      `ratios: throughput ${(oursRate / naiveRate).toFixed(1)}× (aim ≥ 30×), row versions ${(per(naiveCost, naiveCount) / Math.max(1, per(oursCost, total))).toFixed(1)}× fewer (aim ≥ 5×), ` +
        `WAL ${costFactor(naiveCost.walBytes / naiveCount, oursCost.walBytes / total)}, p99 ${latency.p99.toFixed(0)} ms (aim ≤ 250 ms)`,
    );
    await counter.stop(60_000);
    counter = undefined;
    if (sink)
      console.log(
        `tracing on: the OTLP endpoint received ${sink.requests} exports, ${sink.bytes} bytes`,
      );
    printHeadline(NAME, oursRate, naiveRate);
  } finally {
    await counter?.kill();
    await sink?.stop();
    await db.end().catch(() => undefined);
    await dropDatabaseAt(adminUrl, url).catch((e) =>
      console.error(`drop database failed: ${String(e)}`),
    );
    await rm(dataDir, { recursive: true, force: true });
    await broker.stop();
  }
}
