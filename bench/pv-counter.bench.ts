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
 * The paced phase also prints what the rate cost until the merges caught up: app CPU, row versions
 * over all tables and WAL per 1,000 views (the price of a shorter FLUSH_INTERVAL_MS shows there).
 * BENCH_MAX_IN_FLIGHT sets pv-counter's CONSUMER_MAX_IN_FLIGHT (its default otherwise);
 * BENCH_OURS_ENV="NAME=value,…" sets ours' app variables (bench/support/ours-env.ts).
 * Extra contestants, each with a database, data dir and consumer group of its own, reading the
 * same topic from its start (bench/support/pv-counter-contestant.ts), so that their cost is printed
 * as ratios from one run:
 * - BENCH_TRACING=on adds `ours+otel`: pv-counter with tracing on (every span sampled, exported over
 *   OTLP/HTTP to a local endpoint that discards them), and gives every view a `traceparent` of its
 *   own, as ingest stamps one with tracing on (ours, with tracing off, reads the same records);
 * - BENCH_BEFORE=<git ref> adds `before`: the pv-counter of that commit, built in a git worktree of
 *   its own (bench/support/before-build.ts).
 * With more than one contestant, each counts the whole topic in turn and is stopped; then each is
 * started again, catches up with the views published since, and has its latency measured.
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  costFactor,
  formatRate,
  printHeadline,
  produceToNewTopic,
  startBenchKafka,
  type BenchKafka,
  createBenchDatabase,
  type BenchDatabase,
} from './support';
import { benchBeforeRef, prepareBefore, type BeforeBuild } from './support/before-build';
import { oursEnv } from './support/ours-env';
import { NAIVE_PAGE_VIEWS_TABLE, runNaivePageViews } from './support/naive-page-views';
import { pageViewMessage, zipfPageViews } from './support/page-view-data';
import { tableSize, writeCost, writeSnapshot, type WriteCost } from './support/pg-write-stats';
import { benchTracing, startOtlpSink, tracingEnv, type OtlpSink } from './support/otlp-sink';
import {
  Contestant,
  describeCost,
  type ContestantSpec,
  type PacedCost,
  type Throughput,
} from './support/pv-counter-contestant';
import type { VisibilityLatency } from './support/visibility-latency';

const NAME = 'pv-counter';
const TOPIC = 'page-views';
const PARTITIONS = 3;
const PAGES = 100_000;
const VISITORS = 200_000;
const LATENCY_RATE = 20_000;

/** A sampled W3C trace context of a trace of its own, as ingest stamps one per request with tracing on. */
function newTraceparent(): string {
  const ids = randomBytes(24).toString('hex');
  return `00-${ids.slice(0, 32)}-${ids.slice(32)}-01`;
}

/** One contestant's figures. */
interface Figures {
  readonly throughput: Throughput;
  latency?: VisibilityLatency;
  paced?: PacedCost;
}

/** Prints `label` against `other`: throughput, CPU per view, row versions, WAL and p99. */
function printAgainst(what: string, a: Figures, b: Figures): void {
  const perView = (cost: WriteCost, events: number) => cost.rowVersions / events;
  const p99 = (f: Figures) => f.latency?.p99.toFixed(0) ?? '–';
  console.log(
    `${what}: throughput ${(a.throughput.viewsPerSecond / b.throughput.viewsPerSecond).toFixed(2)}, ` +
      `app CPU per view ${(a.throughput.cpuMsPer1kViews / b.throughput.cpuMsPer1kViews).toFixed(2)}, ` +
      `row versions ${(perView(a.throughput.cost, a.throughput.events) / Math.max(1e-9, perView(b.throughput.cost, b.throughput.events))).toFixed(2)}, ` +
      `WAL ${(a.throughput.cost.walBytes / a.throughput.events / (b.throughput.cost.walBytes / b.throughput.events)).toFixed(2)}, ` +
      `p99 ${p99(a)} against ${p99(b)} ms`,
  );
  if (a.paced && b.paced)
    console.log(
      `${what} at ${LATENCY_RATE} views/s: app CPU per view ${(a.paced.cpuMsPer1kViews / b.paced.cpuMsPer1kViews).toFixed(2)}, ` +
        `row versions ${(a.paced.rowVersionsPer1kViews / Math.max(1e-9, b.paced.rowVersionsPer1kViews)).toFixed(2)}, ` +
        `WAL ${(a.paced.walBytesPer1kViews / b.paced.walBytesPer1kViews).toFixed(2)}`,
    );
}

/** Runs the benchmark; the last line printed is the headline. */
export async function main(args: string[]): Promise<void> {
  const total = Number(args[0] ?? 500_000);
  const naiveCount = Math.min(total, Number(args[1] ?? 30_000));
  const latencySeconds = Number(args[2] ?? 10);
  const tracing = benchTracing();
  const beforeRef = benchBeforeRef();
  // Built first: a ref that does not build fails the run before anything is started.
  const before: BeforeBuild | undefined = beforeRef ? await prepareBefore(beforeRef) : undefined;
  let broker: BenchKafka | undefined;
  let sink: OtlpSink | undefined;
  const databases: BenchDatabase[] = [];
  const contestants: Contestant[] = [];
  let db: Client | undefined;
  const newDatabase = async (label: string) => {
    const database = await createBenchDatabase(`pv_${label}`);
    databases.push(database);
    return database.url;
  };
  try {
    broker = await startBenchKafka();
    const brokers = broker.brokers;
    // The naive listener and ours share one database, as before the extra contestants.
    const url = await newDatabase('ours');
    db = new Client({ connectionString: url });
    await db.connect();
    const kafka = new Kafka({
      clientId: NAME,
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const day = new Date().toISOString().slice(0, 10);
    const views = zipfPageViews(total, PAGES, VISITORS);
    const distinct = new Set(views.map((v) => v.pageId)).size;
    const hottest = views.filter((v) => v.pageId === '/story/0').length;
    const producedAt = Date.now();
    const message = (i: number) => {
      const record = pageViewMessage(views[i], day);
      if (!tracing) return record;
      return { ...record, headers: { ...record.headers, traceparent: newTraceparent() } };
    };
    // ~230 bytes a record (~290 with a traceparent): 4 000 (3 000) a send stays under the
    // broker's 1 MiB request limit.
    await produceToNewTopic(kafka, TOPIC, PARTITIONS, total, message, tracing ? 3_000 : 4_000);
    console.log(
      `${total} page views over ${distinct} of ${PAGES} pages (Zipf s=1, hottest ${((hottest / total) * 100).toFixed(1)} %), ` +
        `visitors uniform over ${VISITORS}${tracing ? ', each with a traceparent of its own' : ''}; ` +
        `produced to ${TOPIC} (${PARTITIONS} partitions) in ${((Date.now() - producedAt) / 1000).toFixed(1)} s`,
    );

    // Baseline, on a prefix of the same topic.
    const n0 = await writeSnapshot(db, NAIVE_PAGE_VIEWS_TABLE, 0);
    const naiveMs = await runNaivePageViews(brokers, TOPIC, url, naiveCount);
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
    const naiveSize = await tableSize(db, NAIVE_PAGE_VIEWS_TABLE);
    console.log(
      `baseline's table size after its ${naiveCount} views: ${(naiveSize.bytes / 1024 / 1024).toFixed(1)} MiB for ${naiveSize.liveTuples} rows (${naiveSize.deadTuples} dead)`,
    );

    const specs: ContestantSpec[] = [{ label: 'ours', brokers, databaseUrl: url, env: oursEnv() }];
    if (tracing) {
      sink = await startOtlpSink();
      specs.push({
        label: 'ours+otel',
        brokers,
        databaseUrl: await newDatabase('otel'),
        env: tracingEnv(sink),
      });
    }
    if (before)
      specs.push({
        label: 'before',
        root: before.root,
        brokers,
        databaseUrl: await newDatabase('before'),
      });
    for (const spec of specs) contestants.push(await Contestant.create(spec));
    const restart = contestants.length > 1;

    // Throughput: each contestant through the whole topic, one at a time.
    const figures = new Map<string, Figures>();
    for (const contestant of contestants) {
      await contestant.start();
      figures.set(contestant.label, { throughput: await contestant.countAll(day, total) });
      if (restart) await contestant.stop();
    }

    // Latency at a paced rate, each contestant caught up with every view published so far.
    let published = total;
    for (const contestant of contestants) {
      if (restart) {
        await contestant.start();
        await contestant.catchUp(published);
      }
      const { latency, cost } = await contestant.latency(brokers, day, {
        ratePerSecond: LATENCY_RATE,
        seconds: latencySeconds,
        pages: PAGES,
        visitors: VISITORS,
      });
      const figure = figures.get(contestant.label)!;
      figure.latency = latency;
      figure.paced = cost;
      published += latency.sent;
      await contestant.stop();
    }

    const ours = figures.get('ours')!;
    const per = (cost: WriteCost, events: number) => (cost.rowVersions * 100_000) / events;
    console.log(
      `ratios: throughput ${(ours.throughput.viewsPerSecond / naiveRate).toFixed(1)}× (aim ≥ 30×), ` +
        `row versions ${(per(naiveCost, naiveCount) / Math.max(1, per(ours.throughput.cost, total))).toFixed(1)}× fewer (aim ≥ 5×), ` +
        `WAL ${costFactor(naiveCost.walBytes / naiveCount, ours.throughput.cost.walBytes / total)}, ` +
        `p99 ${ours.latency!.p99.toFixed(0)} ms (aim ≤ 250 ms)`,
    );
    if (sink) {
      printAgainst('tracing on/off', figures.get('ours+otel')!, ours);
      console.log(
        `tracing on: the OTLP endpoint received ${sink.requests} exports, ${sink.bytes} bytes`,
      );
    }
    if (before) {
      console.log(`before: ${before.ref} (${before.commit}), tracing off in both`);
      printAgainst('ours/before', ours, figures.get('before')!);
    }
    printHeadline(NAME, ours.throughput.viewsPerSecond, naiveRate);
  } finally {
    for (const contestant of contestants) await contestant.close();
    await sink?.stop();
    await db?.end().catch(() => undefined);
    for (const database of databases) await database.drop();
    await broker?.stop();
    await before?.remove();
  }
}
