/**
 * The naive baseline of `naive-vs-workqueue`: a raw kafkajs consumer whose `eachMessage` awaits
 * one `INSERT … ON CONFLICT DO UPDATE SET n = n + 1` per message (autocommit, so one transaction
 * per message), kafkajs's default concurrency (one partition at a time), auto offset commit.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

export const NAIVE_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS naive_totals (key text PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL)';

/** Consumes `expected` messages of `topic` into naive_totals; resolves with the first-to-last ms. */
export async function runNaiveCounter(brokers: string, topic: string, databaseUrl: string, expected: number): Promise<number> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(NAIVE_TABLE_SQL);
  const kafka = new Kafka({ clientId: 'naive-counter', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `naive-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let count = 0;
  let first = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (count === 0) first = performance.now();
      const event = JSON.parse(message.value!.toString()) as { key: string; amount: number };
      await db.query(
        'INSERT INTO naive_totals (key, n, total) VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET n = naive_totals.n + 1, total = naive_totals.total + EXCLUDED.total',
        [event.key, event.amount],
      );
      if (++count === expected) done(performance.now() - first);
    },
  });
  const ms = await finished;
  await consumer.disconnect();
  await db.end();
  return ms;
}
