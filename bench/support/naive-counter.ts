/**
 * The naive baseline of `naive-vs-workqueue`: a raw kafkajs consumer whose `eachMessage` awaits
 * one `INSERT … ON CONFLICT DO UPDATE SET n = n + 1` per message (autocommit, so one transaction
 * per message), kafkajs's default concurrency (one partition at a time), auto offset commit.
 */
import { timeNaiveListener } from './naive-listener';

export const NAIVE_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS naive_totals (key text PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL)';

/** Consumes `expected` messages of `topic` into naive_totals; resolves with the first-to-last ms. */
export function runNaiveCounter(
  brokers: string,
  topic: string,
  databaseUrl: string,
  expected: number,
): Promise<number> {
  return timeNaiveListener({
    brokers,
    topic,
    databaseUrl,
    clientId: 'naive-counter',
    groupId: `naive-${topic}`,
    tableSql: NAIVE_TABLE_SQL,
    limit: expected,
    apply: (db, value) => {
      const event = JSON.parse(value.toString()) as { key: string; amount: number };
      return db.query(
        'INSERT INTO naive_totals (key, n, total) VALUES ($1, 1, $2) ON CONFLICT (key) DO UPDATE SET n = naive_totals.n + 1, total = naive_totals.total + EXCLUDED.total',
        [event.key, event.amount],
      );
    },
  });
}
