/**
 * `npm run bench -- flush [storedIds] [flushes] [namedIds]`: where one work-queue flush's time
 * goes, in one process against a throwaway PostgreSQL database (TEST_PG_ADMIN_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres, migrated, dropped afterwards). `dedupe_ids` first
 * holds `storedIds` (default 2 000 000) UUIDv7 keys ending now, 20 a millisecond, and `namedIds`
 * (default 1 000 000) keys of ids that are not UUIDv7 under the previous generation. Then `flushes`
 * (default 12, after 2 warm-up flushes) flushes of each shape the expert benchmark saw, each
 * through the work queue's own `writeBatchInTransaction` with offsets and de-duplication:
 * - pv-counter: 19 231 Zipf page views (100 000 pages, 200 000 visitors, UUIDv7 event ids as
 *   ingest stamps them) on 3 partitions, written by pv-counter's `writeDailyViews`;
 * - aggregator: 14 286 ticks over 500 symbols (the tick benchmarks' data: random UUIDv4 event ids,
 *   a client's own), written by the aggregator's candle upsert; and the same with UUIDv7 ids.
 * Each phase's wall time and the part spent in PostgreSQL (queries timed at the runner) are
 * printed, then `EXPLAIN (ANALYZE, BUFFERS)` of every statement of one more flush (each run
 * explained under a savepoint that is rolled back, then for real). After each flush the expert consumer's writer (bench/support/expert-*.ts) writes
 * the same events as it would: its statement built from the record values (JSON.parse, summed
 * per key in a Map), one autocommitted unnest upsert into a table of its own. The last line is
 * pv-counter's: its flush's events per second against the expert's write of the same events.
 */
import 'reflect-metadata';
import { openDatabase, type OpenDatabase } from '@lib/database';
import type { IncomingEvent } from '@lib/queue';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { loadavg, tmpdir } from 'node:os';
import { v7 as timeOrderedUuid } from 'uuid';
import {
  candleKeyOf,
  candleValueOf,
  mergeCandles,
  type CandlePart,
} from '../apps/aggregator/src/candles/candle';
import { writeCandles } from '../apps/aggregator/src/candles/candles.writer';
import type { TickPayload } from '../apps/aggregator/src/candles/tick-payload';
import { dailyKeyOf, dailyValueOf } from '../apps/pv-counter/src/page-views/daily-views';
import type { PageViewPayload } from '../apps/pv-counter/src/page-views/page-view-payload';
import { mergeDaily, writeDailyViews, type DailyPageViews } from '../apps/pv-counter/src/storage';
import {
  GENERATION_MS,
  generationOf,
  timePrefix,
  WorkBuffer,
  type BatchShape,
  type BatchWriter,
  type FlushContext,
} from '@lib/work-queue';
import { createBenchDatabase, printHeadline } from './support';
import { formatTimes, meanTimes, timedFlush, type PhaseTimes } from './support/flush-phases';
import { expertCandles, EXPERT_CANDLES_TABLE } from './support/expert-candles';
import type { ExpertSink } from './support/expert-consumer';
import { expertPageViews, EXPERT_PAGE_VIEWS_TABLE } from './support/expert-page-views';
import { zipfPageViews } from './support/page-view-data';

const PARTITIONS = 3;
const PER_MS = 20;
const PV_EVENTS = 19_231;
const TICK_EVENTS = 14_286;
const SYMBOLS = 500;
const WARM_UP = 2;

/** One shape of flush: how its events are made, merged and written. */
interface FlushCase<TEvent, TOut> {
  readonly name: string;
  readonly topic: string;
  readonly scope: string;
  readonly shape: BatchShape<TEvent, TOut>;
  readonly write: BatchWriter<TOut>;
  /** The expert consumer's writer of the same events (bench/support/expert-*.ts). */
  readonly expert: ExpertSink;
  /** The payloads of one flush's events, `round` numbering the flush. */
  payloads(round: number): TEvent[];
}

const uptime = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function pageViewCase(day: string): FlushCase<PageViewPayload, DailyPageViews> {
  return {
    name: 'pv-counter',
    topic: 'page-views',
    scope: 'pv-counter/page-views-daily',
    shape: { keyOf: dailyKeyOf, valueOf: dailyValueOf, merge: mergeDaily },
    write: writeDailyViews,
    expert: expertPageViews(EXPERT_PAGE_VIEWS_TABLE),
    payloads: () =>
      zipfPageViews(PV_EVENTS, 100_000, 200_000).map((view) => ({
        ...view,
        occurredAt: `${day}T12:00:00.000Z`,
        receivedAt: `${day}T12:00:00.000Z`,
      })),
  };
}

function tickCase(name: string, newId: () => string): FlushCase<TickPayload, CandlePart> {
  const start = Date.parse('2026-06-01T09:30:00Z');
  return {
    name,
    topic: 'ticks',
    scope: `aggregator/${name}`,
    shape: { keyOf: candleKeyOf, valueOf: candleValueOf, merge: mergeCandles },
    write: writeCandles,
    expert: expertCandles(EXPERT_CANDLES_TABLE),
    payloads: (round) =>
      Array.from({ length: TICK_EVENTS }, (_, j) => {
        const i = round * TICK_EVENTS + j;
        const at = new Date(start + i).toISOString();
        return {
          eventId: newId(),
          symbol: `B${i % SYMBOLS}`,
          price: 100 + ((i * 7919) % 10_000) / 100,
          volume: 1 + (i % 100),
          occurredAt: at,
          receivedAt: at,
        };
      }),
  };
}

function printPlan(phase: string, sql: string, plan: string[]): void {
  const statement = sql.replace(/\s+/g, ' ').trim();
  console.log(
    `    [${phase}] ${statement.length > 110 ? `${statement.slice(0, 110)}…` : statement}`,
  );
  for (const line of plan) console.log(`      ${line}`);
}

/** What the expert's writer spent on one flush's events: building its statement, and running it. */
interface ExpertTimes {
  build: number;
  sql: number;
}

/** The expert's write of `payloads` (as the record values it would read), autocommitted. */
async function expertWrite(
  client: Client,
  sink: ExpertSink,
  payloads: unknown[],
): Promise<ExpertTimes> {
  const values = payloads.map((p) => Buffer.from(JSON.stringify(p)));
  const started = performance.now();
  const statement = sink.statement(values);
  const built = performance.now();
  await client.query(statement.text, statement.values);
  return { build: built - started, sql: performance.now() - built };
}

/**
 * Runs the case's flushes, each followed by the expert's write of the same events, then one more
 * flush explained; returns the mean phase times and the expert's mean.
 */
async function runCase<TEvent extends { eventId: string }, TOut>(
  database: OpenDatabase,
  expert: Client,
  flushCase: FlushCase<TEvent, TOut>,
  flushes: number,
): Promise<{
  mean: PhaseTimes;
  expert: ExpertTimes;
  rows: number;
  events: number;
}> {
  const stored = new Map<number, string>();
  const all: PhaseTimes[] = [];
  const expertMean: ExpertTimes = { build: 0, sql: 0 };
  await expert.query(flushCase.expert.tableSql);
  let rows = 0;
  let events = 0;
  let offset = 0;
  // The last round is explained: every statement's plan printed, its times not counted.
  for (let round = 0; round <= flushes + WARM_UP; round++) {
    const explained = round === flushes + WARM_UP;
    const payloads = flushCase.payloads(round);
    const buffer = new WorkBuffer<TEvent, TOut>(flushCase.shape, 'dedupe', true);
    const incoming: IncomingEvent<TEvent>[] = payloads.map((payload) => {
      const partition = offset % PARTITIONS;
      const position = {
        topic: flushCase.topic,
        partition,
        offset: String(Math.floor(offset++ / PARTITIONS)),
      };
      return { stream: flushCase.topic, eventId: payload.eventId, payload, position };
    });
    void buffer.add(incoming);
    const offsets = [...buffer.buckets.values()].map((bucket) => {
      const expected = stored.get(bucket.partition) ?? null;
      return {
        topic: bucket.topic,
        partition: bucket.partition,
        expected,
        next: bucket.nextOffset(expected),
        generation: 0,
      };
    });
    const context: FlushContext<TOut> = {
      group: `bench-${flushCase.name}`,
      offsets,
      dedupeScope: flushCase.scope,
      write: flushCase.write,
    };
    const runner = database.dataSource.createQueryRunner();
    try {
      if (explained) console.log(`  EXPLAIN (ANALYZE, BUFFERS) of one more flush's statements:`);
      const flushed = await timedFlush(runner, buffer, context, explained ? printPlan : undefined);
      if (flushed.applied !== payloads.length) throw new Error('unexpected duplicates');
      for (const o of offsets) stored.set(o.partition, o.next);
      for (const bucket of buffer.buckets.values()) bucket.resolve();
      if (round >= WARM_UP && !explained) {
        all.push(flushed.times);
        rows += flushed.rows;
      }
      events = payloads.length;
    } finally {
      await runner.release();
    }
    if (explained) break;
    const theirs = await expertWrite(expert, flushCase.expert, payloads);
    if (round >= WARM_UP) {
      expertMean.build += theirs.build / flushes;
      expertMean.sql += theirs.sql / flushes;
    }
  }
  return {
    mean: meanTimes(all),
    expert: expertMean,
    rows: rows / flushes,
    events,
  };
}

/** Runs one case and prints its figures; returns ours' and the expert's events per second. */
async function reportCase<TEvent extends { eventId: string }, TOut>(
  database: OpenDatabase,
  expertClient: Client,
  flushCase: FlushCase<TEvent, TOut>,
  flushes: number,
): Promise<{ ours: number; expert: number }> {
  const before = uptime();
  console.log(`${flushCase.name}:`);
  const { mean, expert, rows, events } = await runCase(database, expertClient, flushCase, flushes);
  const total = Object.values(mean).reduce((sum, t) => sum + t.wall, 0);
  const theirs = expert.build + expert.sql;
  console.log(
    `  ${flushes} flushes of ${events} events → ${Math.round(rows)} rows (load ${before} → ${uptime()})`,
  );
  console.log(`  ours: ${formatTimes(mean)}`);
  console.log(
    `  expert's write of the same events: ${theirs.toFixed(1)} ms ` +
      `(statement with JSON.parse ${expert.build.toFixed(1)}, sql ${expert.sql.toFixed(1)})`,
  );
  console.log(
    `  ours ${((total * 1000) / events).toFixed(2)} µs per event ` +
      `(${Math.round((events / total) * 1000).toLocaleString('en-US')} events/s flushed back to back), ` +
      `the expert's write ${((theirs * 1000) / events).toFixed(2)} µs`,
  );
  return { ours: events / (total / 1000), expert: events / (theirs / 1000) };
}

/** Runs the benchmark; see the file's comment. */
export async function main(args: string[]): Promise<void> {
  const storedIds = Number(args[0] ?? 2_000_000);
  const flushes = Number(args[1] ?? 12);
  const namedIds = Number(args[2] ?? 1_000_000);
  const scratch = await createBenchDatabase('flush');
  const url = scratch.url;
  const database = await openDatabase({
    DATABASE_URL: url,
    DATA_DIR: tmpdir(),
    DATABASE_POOL_SIZE: 2,
  });
  const expertClient = new Client({ connectionString: url });
  await expertClient.connect();
  try {
    console.log(`storing ${storedIds.toLocaleString('en-US')} UUIDv7 keys in dedupe_ids …`);
    await database.dataSource.query(
      `INSERT INTO dedupe_ids (key)
       SELECT (substr(t, 1, 8) || '-' || substr(t, 9, 4) || '-7' || substr(r, 1, 3) || '-8' || substr(r, 4, 3) || '-' || substr(r, 7, 12))::uuid
         FROM (SELECT lpad(to_hex(end_ms - (${storedIds} - n) / ${PER_MS}), 12, '0') AS t, md5(n::text) AS r
                 FROM generate_series(1, ${storedIds}) AS n,
                      (SELECT (extract(epoch FROM now()) * 1000)::bigint AS end_ms) e) s
        ORDER BY 1`,
    );
    // Ids that are not UUIDv7 claimed during the previous generation (a claim looks each one up
    // there): keys of that generation's millisecond with version 8, as namedKey makes them.
    console.log(
      `storing ${namedIds.toLocaleString('en-US')} keys of other ids under the previous generation …`,
    );
    const previous = generationOf(Date.now()) - GENERATION_MS;
    await database.dataSource.query(
      `INSERT INTO dedupe_ids (key)
       SELECT ('${timePrefix(previous)}' || '8' || substr(r, 1, 3) || '8' || substr(r, 4, 15))::uuid
         FROM (SELECT md5('named' || n) AS r FROM generate_series(1, ${namedIds}) AS n) s
        ORDER BY 1`,
    );
    await database.dataSource.query('VACUUM ANALYZE dedupe_ids');
    await database.dataSource.query('CHECKPOINT');

    const day = new Date().toISOString().slice(0, 10);
    const pv = await reportCase(database, expertClient, pageViewCase(day), flushes);
    await reportCase(database, expertClient, tickCase('aggregator', randomUUID), flushes);
    await reportCase(
      database,
      expertClient,
      tickCase('aggregator-v7-ids', timeOrderedUuid),
      flushes,
    );
    printHeadline('flush', pv.ours, pv.expert);
  } finally {
    await expertClient.end();
    await database.close();
    await scratch.drop();
  }
}
