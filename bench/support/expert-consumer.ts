/**
 * The loop of the consumer an expert writes by hand around kafkajs: `eachBatch` with
 * `eachBatchAutoResolve: false`, one partition's batch at a time per partition (all partitions
 * concurrently, a pooled connection each), the batch folded into rows in memory and written with
 * one autocommitted statement, then its offsets resolved and committed. At-least-once: a crash
 * between the statement's commit and the offset commit counts the batch again after the restart;
 * there is no de-duplication.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { Pool } from 'pg';
import { ExposureMeter, type Exposure } from './expert-exposure';

/** What a hand-written consumer does with one batch: one statement with the batch's rows. */
export interface ExpertSink {
  /** Creates its table (idempotent). */
  readonly tableSql: string;
  /** The statement and parameters for one batch's record values. */
  statement(values: Buffer[]): { text: string; values: unknown[] };
}

/** Where an expert consumer reads and writes. */
export interface ExpertConsumerOptions {
  readonly brokers: string[];
  readonly topic: string;
  readonly groupId: string;
  readonly databaseUrl: string;
  /** Partitions consumed at once, and pooled connections. */
  readonly concurrency: number;
  /** Called once the consumer joined its group. */
  readonly onJoin?: () => void;
}

/** A running expert consumer. */
export interface ExpertConsumer {
  /** Leaves the group once the running batches are written and committed, then closes the pool. */
  stop(): Promise<void>;
  /** How long written batches waited for their offset commit (bench instrumentation, not the expert's). */
  exposure(): Exposure;
}

/** Starts consuming `topic` from the beginning (for a new group) into `sink`. */
export async function startExpertConsumer(
  options: ExpertConsumerOptions,
  sink: ExpertSink,
): Promise<ExpertConsumer> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: options.concurrency });
  await pool.query(sink.tableSql);
  const kafka = new Kafka({
    clientId: options.groupId,
    brokers: options.brokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer: Consumer = kafka.consumer({ groupId: options.groupId });
  if (options.onJoin) consumer.on(consumer.events.GROUP_JOIN, options.onJoin);
  const meter = new ExposureMeter();
  consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) =>
    meter.committed(payload.topics.flatMap((t) => t.partitions.map((p) => Number(p.partition)))),
  );
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.concurrency,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
      const { messages } = batch;
      if (messages.length === 0) return;
      await pool.query(sink.statement(messages.map((m) => m.value!)));
      meter.written(batch.partition, messages.length);
      resolveOffset(messages[messages.length - 1].offset);
      await commitOffsetsIfNecessary();
      await heartbeat();
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await pool.end();
    },
    exposure: () => meter.summary(),
  };
}
