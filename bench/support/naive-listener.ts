import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';

/** One naive baseline: its table and the statement it awaits per message. */
export interface NaiveListener {
  readonly brokers: string;
  readonly topic: string;
  readonly databaseUrl: string;
  readonly clientId: string;
  readonly groupId: string;
  /** Creates the baseline's table (idempotent). */
  readonly tableSql: string;
  /** How many records to apply from the start of the topic. */
  readonly limit: number;
  /** Applies one record: one autocommitted statement, awaited before the next record. */
  apply(db: Client, value: Buffer): Promise<unknown>;
}

/**
 * Runs a naive baseline: a raw kafkajs consumer whose `eachMessage` awaits one statement per
 * record (kafkajs's defaults: one partition at a time, auto offset commit) on the first `limit`
 * records of the topic. Resolves with the milliseconds from the first record to the last.
 */
export async function timeNaiveListener(listener: NaiveListener): Promise<number> {
  const { limit } = listener;
  const db = new Client({ connectionString: listener.databaseUrl });
  await db.connect();
  await db.query(listener.tableSql);
  const kafka = new Kafka({
    clientId: listener.clientId,
    brokers: listener.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: listener.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [listener.topic], fromBeginning: true });
  let count = 0;
  let first = 0;
  let done!: (ms: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (count >= limit) return;
      if (count === 0) first = performance.now();
      await listener.apply(db, message.value!);
      if (++count === limit) done(performance.now() - first);
    },
  });
  const ms = await finished;
  await consumer.disconnect();
  await db.end();
  return ms;
}
