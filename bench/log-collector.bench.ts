/**
 * `npm run bench -- log-collector [count] [naiveCount]`: log records per second stored in
 * `app_logs` through the real path, against one INSERT per record.
 *
 * Publishes `count` (default 100 000) valid `app-logs` records (16 services as keys) to a fresh
 * Kafka broker's 3-partition `app-logs` topic, then:
 * - ours: a log-collector app (createLogCollectorApp, BROKER=kafka, a throwaway PostgreSQL
 *   database): the `@Batch(500) @KeyedConcurrency(4)` consumer validates each record and appends
 *   it to the work queue, whose flush writes one unnest INSERT per batch (with the processed ids
 *   and the Kafka offsets in the same transaction). Measured from the first stored row to the
 *   last, by polling `count(*)`.
 * - baseline: a raw kafkajs consumer (new group) whose eachMessage awaits one autocommitted
 *   INSERT … ON CONFLICT DO NOTHING into `app_logs` per record. It reads the first `naiveCount`
 *   records (default 10 000) of the same topic, after `app_logs` was emptied, and its rate is
 *   records / elapsed over that prefix (it would take minutes for all of them; the rate of a
 *   per-record INSERT loop does not depend on how many there are).
 * PostgreSQL: TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) as for the tests.
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { createLogCollectorApp } from '../apps/log-collector/src/log-collector.app';
import { createDatabase, dropDatabaseAt, newRunPrefix } from '../test/support/databases';
import { formatRate, freePort, printHeadline, produceToNewTopic, startBenchKafka } from './support';

const NAME = 'log-collector';
const TOPIC = 'app-logs';
const PARTITIONS = 3;
const SERVICES = 16;
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function logValue(i: number) {
  const service = `bench-svc-${i % SERVICES}`;
  const at = new Date().toISOString();
  const kind = i % 50 === 0 ? 'error' : 'request';
  return {
    eventId: randomUUID(),
    service,
    kind,
    level: kind === 'error' ? 'error' : 'info',
    message:
      kind === 'error' ? `something failed while handling item ${i}` : `GET /v1/items/${i % 997}`,
    requestId: `req-${i}`,
    durationMs: (i % 250) / 3,
    attributes: { method: 'GET', route: '/v1/items/:id', status: kind === 'error' ? 500 : 200 },
    occurredAt: at,
    receivedAt: at,
  };
}

function produce(kafka: Kafka, count: number): Promise<void> {
  // ~400 bytes a record: 1 000 a send stays under the broker's 1 MiB request limit.
  return produceToNewTopic(
    kafka,
    TOPIC,
    PARTITIONS,
    count,
    (j) => {
      const value = logValue(j);
      return {
        key: value.service,
        value: JSON.stringify(value),
        headers: { 'x-event-id': value.eventId, 'x-event-type': TOPIC },
      };
    },
    1_000,
  );
}

async function storedBenchRows(pool: Pool): Promise<number> {
  const result = await pool.query(
    `SELECT count(*)::int AS n FROM app_logs WHERE service LIKE 'bench-svc-%'`,
  );
  return result.rows[0].n as number;
}

async function ours(
  brokers: string,
  databaseUrl: string,
  pool: Pool,
  count: number,
): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-bench-log-collector-'));
  const app = await createLogCollectorApp({
    BROKER: 'kafka',
    KAFKA_BROKERS: brokers,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  });
  try {
    await app.listen();
    let first = 0;
    let atFirst = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const n = await storedBenchRows(pool);
      const now = performance.now();
      if (n > 0 && first === 0) {
        first = now;
        atFirst = n;
      }
      if (n >= count) {
        const rate = (n - atFirst) / ((now - first) / 1000);
        console.log(
          `ours: ${n} rows stored; ${n - atFirst} of them in ${Math.round(now - first)} ms after the first`,
        );
        return rate;
      }
      if (Date.now() > deadline)
        throw new Error(`ours: only ${n} of ${count} rows after 10 minutes`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await app.app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const NAIVE_INSERT = `
  INSERT INTO app_logs (event_id, service, kind, level, message, request_id, duration_ms, attributes,
                        occurred_at, received_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
  ON CONFLICT DO NOTHING`;

async function naive(kafka: Kafka, pool: Pool, limit: number): Promise<number> {
  await pool.query('TRUNCATE app_logs');
  const consumer = kafka.consumer({ groupId: `bench-naive-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  let done = 0;
  let first = 0;
  let last = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await consumer.run({
    partitionsConsumedConcurrently: 1,
    eachMessage: async ({ message }) => {
      if (done >= limit) return;
      if (first === 0) first = performance.now();
      const v = JSON.parse(message.value!.toString());
      await pool.query(NAIVE_INSERT, [
        v.eventId,
        v.service,
        v.kind,
        v.level,
        v.message,
        v.requestId ?? null,
        v.durationMs ?? null,
        v.attributes === undefined ? null : JSON.stringify(v.attributes),
        v.occurredAt,
        v.receivedAt,
      ]);
      done++;
      if (done === limit) {
        last = performance.now();
        finish();
      }
    },
  });
  await finished;
  await consumer.disconnect();
  const stored = await storedBenchRows(pool);
  console.log(
    `baseline: ${done} records, one INSERT each, in ${Math.round(last - first)} ms (${stored} rows stored)`,
  );
  return done / ((last - first) / 1000);
}

/** Runs the benchmark; the last line printed is the headline. */
export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 100_000);
  const naiveCount = Math.min(count, Number(args[1] ?? 10_000));
  const adminUrl = process.env.TEST_PG_URL || DEFAULT_PG_URL;
  const broker = await startBenchKafka();
  const databaseUrl = await createDatabase(adminUrl, `${newRunPrefix()}_logbench`);
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  try {
    const kafka = new Kafka({
      clientId: NAME,
      brokers: broker.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const producedAt = Date.now();
    await produce(kafka, count);
    console.log(
      `produced ${count} log records to ${TOPIC} (${PARTITIONS} partitions, ${SERVICES} keys) in ${Date.now() - producedAt} ms`,
    );

    const oursRate = await ours(broker.brokers, databaseUrl, pool, count);
    console.log(
      `ours (Kafka → @Batch(500) consumer → work queue → one unnest INSERT per flush): ${formatRate(oursRate).replace('msg', 'rec')}`,
    );
    const naiveRate = await naive(kafka, pool, naiveCount);
    console.log(
      `baseline (kafkajs eachMessage → one INSERT per record, first ${naiveCount} records): ${formatRate(naiveRate).replace('msg', 'rec')}`,
    );
    printHeadline(NAME, oursRate, naiveRate);
  } finally {
    await pool.end();
    await dropDatabaseAt(adminUrl, databaseUrl).catch(() => undefined);
    await broker.stop();
  }
}
