/**
 * The naive baseline of the `aggregator` benchmark: a raw kafkajs consumer whose `eachMessage`
 * awaits one `INSERT … ON CONFLICT DO UPDATE` per tick into `naive_candles` (autocommit, so one
 * transaction per tick), merging OHLCV the same way as the real writer (open/close by occurredAt).
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/** The baseline's table: the candle columns, without the tie-break ranks. */
export const NAIVE_CANDLES_TABLE_SQL = `CREATE TABLE IF NOT EXISTS naive_candles (
  symbol text NOT NULL, open_time timestamptz NOT NULL,
  open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL,
  volume numeric NOT NULL, trades bigint NOT NULL, open_at timestamptz NOT NULL, close_at timestamptz NOT NULL,
  PRIMARY KEY (symbol, open_time)) WITH (fillfactor = 70)`;

const UPSERT = `INSERT INTO naive_candles AS t (symbol, open_time, open, high, low, close, volume, trades, open_at, close_at)
  VALUES ($1, date_trunc('minute', $2::timestamptz), $3, $3, $3, $3, $4, 1, $2, $2)
  ON CONFLICT (symbol, open_time) DO UPDATE SET
    high = GREATEST(t.high, EXCLUDED.high), low = LEAST(t.low, EXCLUDED.low),
    volume = t.volume + EXCLUDED.volume, trades = t.trades + 1,
    open = CASE WHEN EXCLUDED.open_at < t.open_at THEN EXCLUDED.open ELSE t.open END,
    open_at = LEAST(t.open_at, EXCLUDED.open_at),
    close = CASE WHEN EXCLUDED.close_at >= t.close_at THEN EXCLUDED.close ELSE t.close END,
    close_at = GREATEST(t.close_at, EXCLUDED.close_at)`;

/** A running naive consumer: how many ticks it wrote, and a stop function. */
export interface NaiveCandles {
  readonly written: () => number;
  /** performance.now() of the first and latest write. */
  readonly firstAt: () => number;
  readonly lastAt: () => number;
  stop(): Promise<void>;
}

/** Starts consuming `topic` from the beginning (a new group) with one awaited upsert per tick. */
export async function startNaiveCandles(
  brokers: string,
  topic: string,
  databaseUrl: string,
): Promise<NaiveCandles> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query(NAIVE_CANDLES_TABLE_SQL);
  const kafka = new Kafka({
    clientId: 'naive-candles',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer: Consumer = kafka.consumer({
    groupId: `naive-candles-${randomUUID()}`,
    maxWaitTimeInMs: 10,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let written = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      const tick = JSON.parse(message.value!.toString()) as {
        symbol: string;
        price: number;
        volume: number;
        occurredAt: string;
      };
      await db.query(UPSERT, [
        tick.symbol,
        tick.occurredAt,
        String(tick.price),
        String(tick.volume),
      ]);
      last = performance.now();
      if (written++ === 0) first = last;
    },
  });
  return {
    written: () => written,
    firstAt: () => first,
    lastAt: () => last,
    async stop() {
      await consumer.disconnect();
      await db.end();
    },
  };
}
