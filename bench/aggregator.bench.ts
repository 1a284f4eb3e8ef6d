/**
 * `npm run bench -- aggregator [count] [symbols] [naiveCount] [rate] [seconds]`: ticks per second
 * into one-minute candles through the real path, against one upsert per tick, plus the p99
 * tick-to-candle-visible latency at a fixed paced rate.
 *
 * Publishes `count` (default 200 000) valid `ticks` over `symbols` (default 500) symbols to a
 * fresh Kafka broker's 3-partition `ticks` topic, then:
 * - ours: the aggregator app (createAggregatorApp, BROKER=kafka, a throwaway PostgreSQL
 *   database): the `@Batch(500) @KeyedConcurrency(4)` ticks consumer validates each tick, the
 *   work queue merges them per (symbol, minute) and every FLUSH_INTERVAL_MS (15 ms) writes one
 *   unnest upsert with the processed ids and the Kafka offsets in the same transaction. Rate from
 *   the first stored tick to the last, by polling `sum(trades)`.
 * - baseline: a raw kafkajs consumer (new group) whose eachMessage awaits one autocommitted
 *   `INSERT … ON CONFLICT DO UPDATE` merging the tick into `naive_candles`; its rate over the
 *   first `naiveCount` ticks (default 10 000) of the same topic.
 * - latency: with ours caught up, ticks are produced at `rate` per second (default 5 000) for
 *   `seconds` (default 10); every 50 ms one of them is a marker with a symbol of its own, and a
 *   poller (every 5 ms, which adds up to 5 ms) records when its candle is visible. The baseline
 *   is measured the same way on a topic of its own if its throughput reached the rate;
 *   otherwise it is reported as unable to sustain the rate.
 * PostgreSQL: TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) as for the tests.
 * BENCH_TICK_IDS=client gives the ticks random UUIDv4 event ids (a client's own) instead of the
 * UUIDv7 ids ingest stamps (bench/support/tick-data.ts).
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createAggregatorApp } from '../apps/aggregator/src/aggregator.app';
import { createDatabase, dropDatabaseAt, newRunPrefix } from '../test/support/databases';
import { formatRate, freePort, printHeadline, produceToNewTopic, startBenchKafka } from './support';
import { startNaiveCandles } from './support/naive-candles';
import { visibleIn, waitForStored } from './support/candle-counts';
import { percentileOf, runPaced, type PacedResult } from './support/paced-ticks';
import { benchTickIds, describeTickIds, tickMessages } from './support/tick-data';

const NAME = 'aggregator';
const TOPIC = 'ticks';
const NAIVE_PACED_TOPIC = 'naive-paced-ticks';
const PARTITIONS = 3;
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function describeLatency(label: string, result: PacedResult): string {
  const { latencies } = result;
  return (
    `${label}: ${result.sent} ticks in ${result.seconds.toFixed(1)} s (${formatRate(result.sent / result.seconds).replace('msg', 'ticks')}), ` +
    `${latencies.length} markers: p50 ${percentileOf(latencies, 50).toFixed(1)} ms, p99 ${percentileOf(latencies, 99).toFixed(1)} ms, ` +
    `max ${percentileOf(latencies, 100).toFixed(1)} ms${result.missing > 0 ? `, ${result.missing} not visible within 30 s` : ''}`
  );
}

/** Runs the benchmark; the last line printed is the headline. */
export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 200_000);
  const symbols = Number(args[1] ?? 500);
  const naiveCount = Math.min(count, Number(args[2] ?? 10_000));
  const rate = Number(args[3] ?? 5_000);
  const seconds = Number(args[4] ?? 10);
  const adminUrl = process.env.TEST_PG_URL || DEFAULT_PG_URL;
  const tickIds = benchTickIds();
  const tickMessage = tickMessages(symbols, tickIds);
  const broker = await startBenchKafka();
  const databaseUrl = await createDatabase(adminUrl, `${newRunPrefix()}_candlebench`);
  const pool = new Pool({ connectionString: databaseUrl, max: 3 });
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-bench-aggregator-'));
  const kafka = new Kafka({
    clientId: NAME,
    brokers: broker.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  try {
    const producedAt = Date.now();
    await produceToNewTopic(kafka, TOPIC, PARTITIONS, count, (i) => tickMessage(i), 2_000);
    console.log(
      `produced ${count} ticks to ${TOPIC} (${PARTITIONS} partitions, ${symbols} symbols, ${describeTickIds(tickIds)}) in ${Date.now() - producedAt} ms`,
    );

    const app = await createAggregatorApp({
      BROKER: 'kafka',
      KAFKA_BROKERS: broker.brokers,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LOG_LEVEL: 'warn',
    });
    let oursRate: number;
    let oursLatency: PacedResult;
    try {
      await app.listen();
      oursRate = await waitForStored(pool, 'candles_1m', count, 'ours');
      console.log(
        `ours (Kafka → @Batch(500) consumer → candle work queue → one unnest upsert per flush): ${formatRate(oursRate).replace('msg', 'ticks')}`,
      );
      oursLatency = await runPaced(kafka, {
        topic: TOPIC,
        ratePerSecond: rate,
        seconds,
        markerEveryMs: 50,
        tickAt: (i, symbol) => tickMessage(count + i, symbol, Date.now()),
        visible: (wanted) => visibleIn(pool, 'candles_1m', wanted),
      });
      console.log(describeLatency(`ours at ${rate} ticks/s`, oursLatency));
    } finally {
      await app.app.close();
    }

    const naive = await startNaiveCandles(broker.brokers, TOPIC, databaseUrl);
    const deadline = Date.now() + 600_000;
    while (naive.written() < naiveCount && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const naiveDone = naive.written();
    const naiveRate = (naiveDone - 1) / ((naive.lastAt() - naive.firstAt()) / 1000);
    await naive.stop();
    console.log(
      `baseline (kafkajs eachMessage → one upsert per tick, first ${naiveDone} ticks): ${formatRate(naiveRate).replace('msg', 'ticks')}`,
    );

    if (naiveRate >= rate) {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: NAIVE_PACED_TOPIC, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      });
      await admin.disconnect();
      const paced = await startNaiveCandles(broker.brokers, NAIVE_PACED_TOPIC, databaseUrl);
      try {
        const result = await runPaced(kafka, {
          topic: NAIVE_PACED_TOPIC,
          ratePerSecond: rate,
          seconds,
          markerEveryMs: 50,
          tickAt: (i, symbol) => tickMessage(i, symbol, Date.now()),
          visible: (wanted) => visibleIn(pool, 'naive_candles', wanted),
        });
        console.log(describeLatency(`baseline at ${rate} ticks/s`, result));
      } finally {
        await paced.stop();
      }
    } else {
      console.log(
        `baseline at ${rate} ticks/s: unable to sustain the rate (${Math.round(naiveRate)} ticks/s at most), so its latency grows without bound`,
      );
    }
    console.log(
      `ours: p99 tick-to-candle-visible ${percentileOf(oursLatency.latencies, 99).toFixed(1)} ms at ${rate} ticks/s`,
    );
    printHeadline(NAME, oursRate, naiveRate);
  } finally {
    await pool.end();
    await dropDatabaseAt(adminUrl, databaseUrl).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await broker.stop();
  }
}
