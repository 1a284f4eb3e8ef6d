import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { DeliveredEvents } from '../runtime/delivered-events';
import { toIncomingEvent, type RawMessage } from '../runtime/envelope';
import { rawMessageOf } from './kafka-message';
import type { IncomingEvent } from '../incoming-event';
import { QueueError } from '../queue.errors';
import type { PartitionOffset, StreamLogBatch, StreamLogFollower } from '../stream-log';

/**
 * Follows partitions of a topic from given offsets with a consumer of a throwaway group that
 * commits nothing (kafkajs has no group-less fetch) and is deleted on close. The group join
 * happens once, so a caller that keeps the follower open can wait for later offsets in
 * milliseconds (pv-counter does so while it holds a lock that stalls its live flush).
 *
 * Each partition keeps a cursor (the next offset to hand over): a record below it is dropped.
 * That covers a fetch that kafkajs started from the log start before the initial seek applied;
 * no later seek is ever made, so what comes after the cursor is contiguous log order.
 */
export async function followTopic(
  kafka: Kafka,
  topic: string,
  from: readonly PartitionOffset[],
  onBatch: (batch: StreamLogBatch) => Promise<void> | void,
): Promise<StreamLogFollower> {
  const cursors = new Map(from.map((p) => [p.partition, BigInt(p.offset)]));
  const groupId = `stream-log-${topic}-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 30_000,
    rebalanceTimeout: 30_000,
  });
  let fail!: (error: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined); // observed by the caller when it races; never unhandled
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart)
      fail(
        new QueueError(`reading ${topic} failed: ${payload.error.message}`, true, {
          cause: payload.error,
        }),
      );
  });

  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const cursor = cursors.get(batch.partition);
        if (cursor === undefined) return; // a partition we were not asked for
        const events: IncomingEvent<unknown>[] = [];
        const raws: RawMessage[] = [];
        let malformed = 0;
        let next = cursor;
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset < next) continue;
          next = offset + 1n;
          try {
            const raw = rawMessageOf(topic, batch.partition, message);
            events.push(toIncomingEvent(topic, raw));
            raws.push(raw);
          } catch {
            malformed++; // the live consumer dead-letters these; a recount skips them
          }
        }
        const last = BigInt(batch.lastOffset()) + 1n; // past markers too
        if (last > next && BigInt(batch.firstOffset() ?? batch.lastOffset()) <= next) next = last;
        if (next === cursor) return;
        cursors.set(batch.partition, next);
        const delivered = new DeliveredEvents(events, raws);
        await onBatch({
          partition: batch.partition,
          events,
          malformed,
          nextOffset: next.toString(),
          metadataOf: (event) => delivered.metadataOf(event),
        });
      },
    });
    for (const { partition, offset } of from) consumer.seek({ topic, partition, offset });
  } catch (error) {
    await closeConsumer(kafka, consumer, groupId);
    throw new QueueError(`could not start reading ${topic}: ${(error as Error).message}`, true, {
      cause: error,
    });
  }

  let closing: Promise<void> | undefined;
  return {
    failed,
    close: () => (closing ??= closeConsumer(kafka, consumer, groupId)),
  };
}

async function closeConsumer(kafka: Kafka, consumer: Consumer, groupId: string): Promise<void> {
  await consumer.disconnect().catch(() => undefined);
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // An empty group without offsets expires by itself; nothing depends on its deletion.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
