import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import type { RawMessage } from '../runtime/envelope';
import { rawMessageOf } from './kafka-message';

/** A snapshot of a topic: its records up to the high watermarks seen at the start, and those marks. */
export interface TopicSnapshot {
  readonly messages: RawMessage[];
  /** Partition → high watermark (the offset after the last record read). */
  readonly highWatermarks: Map<number, string>;
}

/**
 * Reads a whole (small) topic from its log start up to the current end (as `admin` reports it) with a short-lived consumer
 * of a throwaway group that commits nothing; kafkajs has no group-less fetch. Used for dead
 * letters, which are few. Joining a new group takes `group.initial.rebalance.delay.ms` (3 s by
 * default on a production broker).
 */
export async function readTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs = 30_000,
): Promise<TopicSnapshot> {
  const marks = await admin.fetchTopicOffsets(topic);
  const highWatermarks = new Map(marks.map((m) => [m.partition, m.high]));
  const pending = new Map(
    marks.filter((m) => BigInt(m.high) > BigInt(m.low)).map((m) => [m.partition, BigInt(m.high)]),
  );
  const messages: RawMessage[] = [];
  if (pending.size === 0) return { messages, highWatermarks };

  const groupId = `dead-letter-reader-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`reading ${topic} took longer than ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = pending.get(batch.partition);
            if (end === undefined) return;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              messages.push(rawMessageOf(topic, batch.partition, m));
            }
            // Done with a partition once its snapshot end is reached (the last records may be markers).
            if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  messages.sort(
    (a, b) =>
      a.position.partition - b.position.partition ||
      Number(BigInt(a.position.offset) - BigInt(b.position.offset)),
  );
  return { messages, highWatermarks };
}
