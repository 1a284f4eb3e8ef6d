/**
 * `npm run bench -- expert [views] [ticks] [latencySeconds] [tickRate]`: pv-counter and the
 * aggregator against the consumer a senior engineer writes by hand in an afternoon
 * (bench/support/expert-consumer.ts): kafkajs `eachBatch` with `eachBatchAutoResolve: false`, all
 * partitions at once, `JSON.parse`, the batch summed per key in a `Map`, one autocommitted unnest
 * upsert per batch into a table of its own, then `resolveOffset` and the offset commit.
 * At-least-once, no de-duplication, no unique visitors, no validation.
 *
 * One Kafka broker (startBenchKafka), the topics laid out as the apps read them (3 partitions),
 * throwaway PostgreSQL databases (TEST_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 * Every consumer is a child process: the built app (test/support/app-process.ts, default
 * settings) or bench/support/expert-process.ts. For page views (default 500 000, Zipf s = 1 over
 * 100 000 pages, bench/support/page-view-data.ts) and then ticks (default 200 000 over 500 symbols):
 * 1. throughput of the expert, then of ours, each on all records from the start of the topic,
 *    from the first record visible in its table to the last (polled every 50 ms);
 * 2. with ours still running (and, for page views, its merges of those records done), publish →
 *    visible at a paced rate (page views: 20 000/s from a worker,
 *    bench/support/visibility-latency.ts; ticks: `tickRate`, default 5 000/s,
 *    bench/support/paced-ticks.ts); then the expert restarted, caught up, measured the same way;
 * 3. the count error after a crash: each consumer on the whole topic again (a new group, a new
 *    table or database), SIGKILLed half-way through (once half the records are counted, plus a
 *    random 0–1 s so that the kill is not in step with its commits), restarted, and its total,
 *    once it stops changing, compared with the number of records published. The expert's
 *    throughput run also measures how much of the time a written batch waits for its offset
 *    commit (bench/support/expert-exposure.ts): the chance that a random crash counts twice.
 * BENCH_ROUNDS=n (default 1) measures throughput n times, each consumer in turn from the start of
 * the topic with a group and a table (ours: a database) of its own, ours first in odd rounds and
 * the expert first in even ones and in the last (which goes on to the latency); the ratios are
 * printed by round, and the summary and the headlines are the rounds with the median ratio.
 * The last line is pv-counter's: `expert: ours=<views/s> baseline=<expert views/s> ratio=…`.
 * BENCH_OURS_ENV="NAME=value,…" gives ours' app processes settings (e.g. FLUSH_INTERVAL_MS=15).
 * BENCH_TICK_IDS=client gives the ticks random UUIDv4 event ids (a client's own) instead of the
 * UUIDv7 ids ingest stamps, as pv-counter's views always have (bench/support/tick-data.ts).
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { startAppProcess, type AppProcess } from '../test/support/app-process';
import {
  createBenchDatabase,
  formatRate,
  printHeadline,
  produceToNewTopic,
  startBenchKafka,
  type BenchDatabase,
} from './support';
import { flushStats, flushTotals, formatFlushStats } from './support/flush-stats';
import { oursEnv } from './support/ours-env';
import { storedTrades, visibleIn } from './support/candle-counts';
import {
  startExpertChild,
  type ExpertChild,
  type ExpertChildOptions,
} from './support/expert-child';
import type { Exposure } from './support/expert-exposure';
import { EXPERT_CANDLES_TABLE } from './support/expert-candles';
import { EXPERT_PAGE_VIEWS_TABLE, expertViews } from './support/expert-page-views';
import { percentileOf, runPaced } from './support/paced-ticks';
import { mergesCaughtUp, viewsCounted } from './support/page-view-counts';
import { pageViewMessage, zipfPageViews } from './support/page-view-data';
import { benchTickIds, describeTickIds, tickMessages, TICKS_TOPIC } from './support/tick-data';
import {
  benchRounds,
  describeRounds,
  measureRounds,
  medianRound,
  oursFirst,
  ratioOf,
  type RoundRates,
} from './support/throughput-rounds';
import { measureVisibility } from './support/visibility-latency';
import { settledCount, waitForCount } from './support/visible-count';

const NAME = 'expert';
const PV_TOPIC = 'page-views';
const PARTITIONS = 3;
const PAGES = 100_000;
const VISITORS = 200_000;
const PV_RATE = 20_000;
const SYMBOLS = 500;
/** The apps' work queues whose flushes are printed. */
const PV_QUEUE = 'page-views-daily';
const CANDLES_QUEUE = 'candles';

/** Something the crash test starts, kills and restarts. */
interface Stoppable {
  kill(): Promise<unknown>;
  stop(timeoutMs?: number): Promise<unknown>;
}

/** What a crash did to a consumer's count. */
interface CrashResult {
  readonly atKill: number;
  readonly final: number;
  readonly published: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function published(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/**
 * Starts a consumer on the whole topic, SIGKILLs it once its count passes half the total plus a
 * random 0–1 s (noticing the count follows a database commit; the random part takes the kill out
 * of step with the consumer's commits), restarts it and returns its settled total.
 */
async function crashOnce(
  start: () => Promise<Stoppable>,
  read: () => Promise<number>,
  total: number,
): Promise<CrashResult> {
  const first = await start();
  while ((await read()) < total / 2) await sleep(20);
  await sleep(Math.random() * 1_000);
  await first.kill();
  const atKill = await read();
  const second = await start();
  const final = await settledCount(read, total);
  await second.stop(60_000);
  return { atKill, final, published: total };
}

function describeCrash(label: string, crash: CrashResult, unit: string): string {
  const error = crash.final - crash.published;
  const midStream =
    crash.atKill < crash.published ? '' : ' (the kill came after the last record: not mid-stream)';
  return (
    `${label}: SIGKILL at ${crash.atKill} of ${crash.published} ${unit}${midStream}, restarted: ${crash.final} counted, ` +
    `error ${error > 0 ? '+' : ''}${error} (${((error / crash.published) * 100).toFixed(2)} %)`
  );
}

const verdict = (met: boolean): string => (met ? 'met' : 'NOT met');

function describeRound(round: number, rounds: number, rates: RoundRates, unit: string): string {
  const rate = (perSecond: number) => formatRate(perSecond).replace('msg', unit);
  return (
    `round ${round} of ${rounds} (${oursFirst(round) ? 'ours' : 'the expert'} first): ` +
    `expert ${rate(rates.baseline)}, ours ${rate(rates.ours)}`
  );
}

function describeExposure(label: string, exposure: Exposure, unit: string): string {
  const share = exposure.exposedMs / exposure.activeMs;
  return (
    `${label}: a batch written but not committed yet ${(share * 100).toFixed(1)} % of the time ` +
    `(${Math.round(exposure.recordMs / exposure.activeMs)} ${unit} at risk on average): a SIGKILL at a random moment ` +
    `counts some twice with a probability of ~${share.toFixed(2)}`
  );
}

/** Runs the benchmark; the last line printed is the headline. */
export async function main(args: string[]): Promise<void> {
  const totalViews = Number(args[0] ?? 500_000);
  const totalTicks = Number(args[1] ?? 200_000);
  const latencySeconds = Number(args[2] ?? 10);
  const tickRate = Number(args[3] ?? 5_000);
  const rounds = benchRounds();
  const settings = oursEnv();
  if (Object.keys(settings).length > 0)
    console.log(`ours' settings (BENCH_OURS_ENV): ${JSON.stringify(settings)}`);
  const broker = await startBenchKafka();
  const brokers = broker.brokers.split(',');
  const kafka = new Kafka({ clientId: NAME, brokers, logLevel: logLevel.NOTHING });
  const databases: BenchDatabase[] = [];
  const newDatabase = async (role: string) => {
    const database = await createBenchDatabase(`expert_${role}`);
    databases.push(database);
    return database.url;
  };
  const dataDirs: string[] = [];
  const newDataDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ep-bench-expert-'));
    dataDirs.push(dir);
    return dir;
  };
  const running = new Set<Stoppable>();
  const track = async <T extends Stoppable>(started: Promise<T>): Promise<T> => {
    const child = await started;
    running.add(child);
    return child;
  };
  const stop = async (child: Stoppable) => {
    running.delete(child);
    await child.stop(60_000);
  };
  /** Waits until `child` counted `total`, stops it, and returns its rate (a throughput round). */
  const rateUntil = async (
    child: Stoppable,
    read: () => Promise<number>,
    total: number,
    what: string,
  ): Promise<number> => {
    const counted = await waitForCount(read, total, what);
    await stop(child);
    return counted.rate;
  };
  const stopExpert = async (child: ExpertChild): Promise<Exposure> => {
    running.delete(child);
    return child.stop(60_000);
  };
  const clients: Array<Client | Pool> = [];
  try {
    // ---- pv-counter: page views per (day, page) ----
    const pvUrl = await newDatabase('pv');
    const db = new Client({ connectionString: pvUrl });
    await db.connect();
    clients.push(db);
    const pvDataDir = await newDataDir();
    const day = new Date().toISOString().slice(0, 10);
    const views = zipfPageViews(totalViews, PAGES, VISITORS);
    const producedAt = Date.now();
    await produceToNewTopic(
      kafka,
      PV_TOPIC,
      PARTITIONS,
      totalViews,
      (i) => pageViewMessage(views[i], day),
      4_000,
    );
    console.log(
      `${totalViews} page views (Zipf s=1 over ${PAGES} pages, visitors over ${VISITORS}) produced to ${PV_TOPIC} ` +
        `(${PARTITIONS} partitions) in ${((Date.now() - producedAt) / 1000).toFixed(1)} s`,
    );
    const pvCounter = (url: string, dataDir: string, group?: string) =>
      track(
        startAppProcess('pv-counter', {
          env: {
            BROKER: 'kafka',
            KAFKA_BROKERS: broker.brokers,
            DATABASE_URL: url,
            DATA_DIR: dataDir,
            ...(group === undefined ? {} : { CONSUMER_GROUP: group }),
            ...settings,
          },
          readyWithinMs: 120_000,
        }) as Promise<AppProcess & Stoppable>,
      );
    const pvExpert = (group: string, table: string) =>
      track(
        startExpertChild({
          kind: 'page-views',
          brokers: broker.brokers,
          topic: PV_TOPIC,
          group,
          table,
          databaseUrl: pvUrl,
        }),
      );

    // Rounds before the last, throughput only: each consumer from the start of the topic with a
    // group and a table (ours: a database) of its own. The last round goes on to the latency.
    const pvRounds = await measureRounds(
      rounds - 1,
      async (round) => {
        const roundUrl = await newDatabase(`pv_r${round}`);
        const roundDb = new Client({ connectionString: roundUrl });
        await roundDb.connect();
        clients.push(roundDb);
        const app = await pvCounter(roundUrl, await newDataDir(), `pv-counter-r${round}`);
        return rateUntil(app, () => viewsCounted(roundDb, day), totalViews, 'pv-counter');
      },
      async (round) => {
        const table = `${EXPERT_PAGE_VIEWS_TABLE}_r${round}`;
        const child = await pvExpert(`expert-pv-r${round}`, table);
        return rateUntil(child, () => expertViews(db, table, day), totalViews, 'expert page views');
      },
      (round, rates) => console.log(describeRound(round, rounds, rates, 'views')),
    );

    let expert = await pvExpert('expert-pv', EXPERT_PAGE_VIEWS_TABLE);
    const expertPv = await waitForCount(
      () => expertViews(db, EXPERT_PAGE_VIEWS_TABLE, day),
      totalViews,
      'expert page views',
    );
    const expertPvExposure = await stopExpert(expert);
    console.log(
      `expert (eachBatch → Map per (day, page) → one unnest upsert per batch → commit): ${expertPv.counted} views in ` +
        `${(expertPv.ms / 1000).toFixed(1)} s = ${formatRate(expertPv.rate).replace('msg', 'views')}`,
    );

    let counter = await pvCounter(pvUrl, pvDataDir);
    const pvFlushes = await flushTotals(counter.url, PV_QUEUE);
    const oursPv = await waitForCount(() => viewsCounted(db, day), totalViews, 'pv-counter');
    const pvCounted = await viewsCounted(db, day);
    if (pvCounted !== totalViews)
      throw new Error(`pv-counter counted ${pvCounted}, expected ${totalViews}`);
    console.log(
      `ours (pv-counter, ${Object.keys(settings).length > 0 ? 'BENCH_OURS_ENV' : 'default'} settings, de-duplication and unique visitors included): ${oursPv.counted} views in ` +
        `${(oursPv.ms / 1000).toFixed(1)} s = ${formatRate(oursPv.rate).replace('msg', 'views')}`,
    );
    console.log(
      `ours' flushes: ${formatFlushStats(flushStats(pvFlushes, await flushTotals(counter.url, PV_QUEUE)))}`,
    );
    const visibility = {
      ratePerSecond: PV_RATE,
      seconds: latencySeconds,
      pages: PAGES,
      visitors: VISITORS,
    };
    // Measured caught up, as the expert is: its merges of the throughput run's views done.
    const mergedInMs = await mergesCaughtUp(db, 'pv-counter');
    console.log(
      `ours' merges of those views caught up ${(mergedInMs / 1000).toFixed(1)} s after the last was visible (views are readable before)`,
    );
    const oursPvLatency = await measureVisibility(brokers, pvUrl, day, visibility);
    await stop(counter);

    expert = await pvExpert('expert-pv', EXPERT_PAGE_VIEWS_TABLE);
    await waitForCount(
      () => expertViews(db, EXPERT_PAGE_VIEWS_TABLE),
      await published(kafka, PV_TOPIC),
      'expert catching up',
    );
    const expertPvLatency = await measureVisibility(brokers, pvUrl, day, {
      ...visibility,
      table: EXPERT_PAGE_VIEWS_TABLE,
    });
    await stop(expert);
    for (const [label, latency] of [
      ['ours', oursPvLatency],
      ['expert', expertPvLatency],
    ] as const) {
      console.log(
        `${label}: publish → visible at ${PV_RATE} views/s (achieved ${Math.round(latency.achievedRate)}/s, ${latency.markers} markers): ` +
          `p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms`,
      );
    }

    const pvPublished = await published(kafka, PV_TOPIC);
    const crashUrl = await newDatabase('pvcrash');
    const crashDb = new Client({ connectionString: crashUrl });
    await crashDb.connect();
    clients.push(crashDb);
    const crashDataDir = await newDataDir();
    const oursPvCrash = await crashOnce(
      () => pvCounter(crashUrl, crashDataDir, 'pv-counter-crash'),
      () => viewsCounted(crashDb),
      pvPublished,
    );
    console.log(describeCrash('ours after a crash', oursPvCrash, 'views'));
    const expertPvCrash = await crashOnce(
      () => pvExpert('expert-pv-crash', `${EXPERT_PAGE_VIEWS_TABLE}_crash`),
      () => expertViews(db, `${EXPERT_PAGE_VIEWS_TABLE}_crash`),
      pvPublished,
    );
    console.log(describeCrash('expert after a crash', expertPvCrash, 'views'));
    console.log(describeExposure("the expert's throughput run", expertPvExposure, 'views'));

    // ---- aggregator: ticks into one-minute candles ----
    const aggUrl = await newDatabase('agg');
    const pool = new Pool({ connectionString: aggUrl, max: 2 });
    clients.push(pool);
    const aggDataDir = await newDataDir();
    const tickIds = benchTickIds();
    const tickMessage = tickMessages(SYMBOLS, tickIds);
    const tickProducedAt = Date.now();
    await produceToNewTopic(
      kafka,
      TICKS_TOPIC,
      PARTITIONS,
      totalTicks,
      (i) => tickMessage(i),
      2_000,
    );
    console.log(
      `${totalTicks} ticks over ${SYMBOLS} symbols (${describeTickIds(tickIds)}) produced to ${TICKS_TOPIC} (${PARTITIONS} partitions) in ` +
        `${((Date.now() - tickProducedAt) / 1000).toFixed(1)} s`,
    );
    const aggregator = (url: string, dataDir: string, group?: string) =>
      track(
        startAppProcess('aggregator', {
          env: {
            BROKER: 'kafka',
            KAFKA_BROKERS: broker.brokers,
            DATABASE_URL: url,
            DATA_DIR: dataDir,
            ...(group === undefined ? {} : { CONSUMER_GROUP: group }),
            ...settings,
          },
          readyWithinMs: 120_000,
        }) as Promise<AppProcess & Stoppable>,
      );
    const candleExpert = (group: string, table: string) =>
      track(
        startExpertChild({
          kind: 'candles',
          brokers: broker.brokers,
          topic: TICKS_TOPIC,
          group,
          table,
          databaseUrl: aggUrl,
        } satisfies ExpertChildOptions),
      );
    const paced = (table: string, from: number) =>
      runPaced(kafka, {
        topic: TICKS_TOPIC,
        ratePerSecond: tickRate,
        seconds: latencySeconds,
        markerEveryMs: 50,
        tickAt: (i, symbol) => tickMessage(from + i, symbol, Date.now()),
        visible: (wanted) => visibleIn(pool, table, wanted),
      });

    const tickRounds = await measureRounds(
      rounds - 1,
      async (round) => {
        const roundUrl = await newDatabase(`agg_r${round}`);
        const roundPool = new Pool({ connectionString: roundUrl, max: 1 });
        clients.push(roundPool);
        const app = await aggregator(roundUrl, await newDataDir(), `aggregator-r${round}`);
        return rateUntil(
          app,
          () => storedTrades(roundPool, 'candles_1m'),
          totalTicks,
          'aggregator',
        );
      },
      async (round) => {
        const table = `${EXPERT_CANDLES_TABLE}_r${round}`;
        const child = await candleExpert(`expert-candles-r${round}`, table);
        return rateUntil(child, () => storedTrades(pool, table), totalTicks, 'expert candles');
      },
      (round, rates) => console.log(describeRound(round, rounds, rates, 'ticks')),
    );

    expert = await candleExpert('expert-candles', EXPERT_CANDLES_TABLE);
    const expertTicks = await waitForCount(
      () => storedTrades(pool, EXPERT_CANDLES_TABLE),
      totalTicks,
      'expert candles',
    );
    const expertTickExposure = await stopExpert(expert);
    console.log(
      `expert (eachBatch → Map of OHLCV per (symbol, minute) → one unnest upsert per batch → commit): ${expertTicks.counted} ticks in ` +
        `${(expertTicks.ms / 1000).toFixed(1)} s = ${formatRate(expertTicks.rate).replace('msg', 'ticks')}`,
    );
    counter = await aggregator(aggUrl, aggDataDir);
    const tickFlushes = await flushTotals(counter.url, CANDLES_QUEUE);
    const oursTicks = await waitForCount(
      () => storedTrades(pool, 'candles_1m'),
      totalTicks,
      'aggregator',
    );
    console.log(
      `ours (aggregator, ${Object.keys(settings).length > 0 ? 'BENCH_OURS_ENV' : 'default'} settings, validation and de-duplication included): ${oursTicks.counted} ticks in ` +
        `${(oursTicks.ms / 1000).toFixed(1)} s = ${formatRate(oursTicks.rate).replace('msg', 'ticks')}`,
    );
    console.log(
      `ours' flushes: ${formatFlushStats(flushStats(tickFlushes, await flushTotals(counter.url, CANDLES_QUEUE)))}`,
    );
    const oursTickLatency = await paced('candles_1m', totalTicks);
    await stop(counter);
    expert = await candleExpert('expert-candles', EXPERT_CANDLES_TABLE);
    await waitForCount(
      () => storedTrades(pool, EXPERT_CANDLES_TABLE, true),
      await published(kafka, TICKS_TOPIC),
      'expert catching up',
    );
    const expertTickLatency = await paced(EXPERT_CANDLES_TABLE, 2 * totalTicks);
    await stop(expert);
    for (const [label, result] of [
      ['ours', oursTickLatency],
      ['expert', expertTickLatency],
    ] as const) {
      console.log(
        `${label}: tick → candle visible at ${tickRate} ticks/s (achieved ${Math.round(result.sent / result.seconds)}/s, ${result.latencies.length} markers): ` +
          `p50 ${percentileOf(result.latencies, 50).toFixed(0)} ms, p99 ${percentileOf(result.latencies, 99).toFixed(0)} ms, ` +
          `max ${percentileOf(result.latencies, 100).toFixed(0)} ms${result.missing > 0 ? `, ${result.missing} not visible within 30 s` : ''}`,
      );
    }

    const ticksPublished = await published(kafka, TICKS_TOPIC);
    const aggCrashUrl = await newDatabase('aggcrash');
    const aggCrashPool = new Pool({ connectionString: aggCrashUrl, max: 1 });
    clients.push(aggCrashPool);
    const aggCrashDataDir = await newDataDir();
    const oursTickCrash = await crashOnce(
      () => aggregator(aggCrashUrl, aggCrashDataDir, 'aggregator-crash'),
      // The app creates its table at start-up; before that there is nothing to count.
      () => storedTrades(aggCrashPool, 'candles_1m', true).catch(() => 0),
      ticksPublished,
    );
    console.log(describeCrash('ours after a crash', oursTickCrash, 'ticks'));
    const expertTickCrash = await crashOnce(
      () => candleExpert('expert-candles-crash', `${EXPERT_CANDLES_TABLE}_crash`),
      () => storedTrades(pool, `${EXPERT_CANDLES_TABLE}_crash`, true),
      ticksPublished,
    );
    console.log(describeCrash('expert after a crash', expertTickCrash, 'ticks'));
    console.log(describeExposure("the expert's throughput run", expertTickExposure, 'ticks'));

    // ---- summary and aims ----
    pvRounds.push({ ours: oursPv.rate, baseline: expertPv.rate });
    tickRounds.push({ ours: oursTicks.rate, baseline: expertTicks.rate });
    if (rounds > 1) {
      console.log(`pv-counter/expert throughput by round: ${describeRounds(pvRounds)}`);
      console.log(`aggregator/expert throughput by round: ${describeRounds(tickRounds)}`);
    }
    const pvMedian = medianRound(pvRounds);
    const tickMedian = medianRound(tickRounds);
    const pvRatio = ratioOf(pvMedian);
    const tickRatio = ratioOf(tickMedian);
    const oursP99 = oursPvLatency.p99;
    const expertP99 = expertPvLatency.p99;
    console.log(
      `aims: pv-counter throughput ${pvRatio.toFixed(2)} of the expert's (aim ≥ 0.7: ${verdict(pvRatio >= 0.7)}); ` +
        `p99 publish → visible at ${PV_RATE} views/s ${oursP99.toFixed(0)} ms against the expert's ${expertP99.toFixed(0)} ms ` +
        `(aim ≤ the expert's and ≤ 250 ms: ${verdict(oursP99 <= expertP99 && oursP99 <= 250)}); ` +
        `aggregator ${tickRatio.toFixed(2)} of its expert (aim ≥ 0.8: ${verdict(tickRatio >= 0.8)}); ` +
        `count error after a SIGKILL: ours ${oursPvCrash.final - oursPvCrash.published} views and ${oursTickCrash.final - oursTickCrash.published} ticks, ` +
        `the expert ${expertPvCrash.final - expertPvCrash.published} views and ${expertTickCrash.final - expertTickCrash.published} ticks`,
    );
    console.log(
      `aggregator against its expert: ours=${Math.round(tickMedian.ours)} baseline=${Math.round(tickMedian.baseline)} ratio=${tickRatio.toFixed(2)}`,
    );
    printHeadline(NAME, pvMedian.ours, pvMedian.baseline);
  } finally {
    for (const child of running) await child.kill().catch(() => undefined);
    for (const client of clients) await client.end().catch(() => undefined);
    for (const database of databases) await database.drop();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
    await broker.stop();
  }
}
