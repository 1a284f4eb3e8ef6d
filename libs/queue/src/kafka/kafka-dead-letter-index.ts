import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { RawMessage } from '../runtime/envelope';
import { QueueError } from '../queue.errors';
import { rawMessageOf } from './kafka-message';

/** Header of the marker records that say which dead letters of their partition were replayed. */
export const MARKER_HEADER = 'x-dlt-replayed';

/** How long a request waits for the reader to reach the ends it saw. */
const CATCH_UP_TIMEOUT_MS = 15_000;

/** A dead letter still listed: its offset and record. */
export interface IndexedLetter {
  readonly offset: bigint;
  readonly message: RawMessage;
}

interface PartitionLetters {
  /** Letters in offset order; those below the log start (deleted) are dropped lazily. */
  letters: IndexedLetter[];
  /** The next offset the reader will hand over. */
  next: bigint;
}

/**
 * An in-memory index of one dead-letter topic, kept current by ONE long-lived consumer of a
 * throwaway group (kafkajs cannot fetch without a group) that commits nothing and is deleted on
 * close, so listing pages costs no group join per request. Markers of partial replays remove the
 * letters they name; records deleted by purge or replay are dropped when a request sees the
 * partition's new log start.
 */
export class KafkaDeadLetterIndex {
  private readonly partitions = new Map<number, PartitionLetters>();
  private consumer?: Consumer;
  private groupId?: string;
  private starting?: Promise<void>;
  private failure?: Error;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
  ) {}

  /**
   * The letters of every partition from its log start, once the reader has read up to the ends
   * `admin` reports now; partitions in order. Empty when the topic does not exist yet.
   */
  async current(admin: Admin): Promise<Map<number, readonly IndexedLetter[]>> {
    let marks: Array<{ partition: number; low: string; high: string }>;
    try {
      marks = await admin.fetchTopicOffsets(this.topic);
    } catch {
      return new Map(); // no such topic yet: nothing was dead-lettered
    }
    if (marks.every((m) => m.high === m.low)) {
      this.partitions.clear();
      return new Map();
    }
    await this.start();
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    for (;;) {
      if (this.failure) throw this.failure;
      const behind = marks.some((m) => {
        const known = this.partitions.get(m.partition);
        return (
          BigInt(m.high) > BigInt(m.low) && (known === undefined || known.next < BigInt(m.high))
        );
      });
      if (!behind) break;
      if (Date.now() > deadline)
        throw new QueueError(
          `reading ${this.topic} took longer than ${CATCH_UP_TIMEOUT_MS} ms`,
          true,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const result = new Map<number, readonly IndexedLetter[]>();
    for (const { partition, low } of marks.sort((a, b) => a.partition - b.partition)) {
      const known = this.partitions.get(partition);
      if (!known) continue;
      const start = BigInt(low);
      if (known.letters.length > 0 && known.letters[0].offset < start)
        known.letters = known.letters.slice(firstAtOrAfter(known.letters, start));
      result.set(partition, known.letters);
    }
    return result;
  }

  /** Stops the reader and deletes its group; idempotent. */
  async close(): Promise<void> {
    const consumer = this.consumer;
    const groupId = this.groupId;
    this.consumer = undefined;
    this.starting = undefined;
    if (!consumer || !groupId) return;
    await consumer.disconnect().catch(() => undefined);
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch {
      // An empty group without offsets expires by itself.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private start(): Promise<void> {
    this.starting ??= this.run().catch((error: Error) => {
      this.starting = undefined;
      throw error;
    });
    return this.starting;
  }

  private async run(): Promise<void> {
    this.failure = undefined;
    this.groupId = `dead-letter-index-${randomUUID()}`;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      rebalanceTimeout: 30_000,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.failure = new QueueError(
        `reading ${this.topic} failed: ${payload.error.message}`,
        true,
        {
          cause: payload.error,
        },
      );
      this.starting = undefined;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        let known = this.partitions.get(batch.partition);
        if (!known) this.partitions.set(batch.partition, (known = { letters: [], next: -1n }));
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < known.next) continue;
          known.next = offset + 1n;
          const message = rawMessageOf(this.topic, batch.partition, m);
          if (message.headers[MARKER_HEADER] === undefined) known.letters.push({ offset, message });
          else if (message.value !== null) this.applyMarker(known, message.value);
        }
        const last = BigInt(batch.lastOffset()) + 1n;
        if (last > known.next) known.next = last;
      },
    });
  }

  private applyMarker(known: PartitionLetters, value: Buffer): void {
    const { offsets } = JSON.parse(value.toString()) as { offsets: string[] };
    const replayed = new Set(offsets);
    known.letters = known.letters.filter((l) => !replayed.has(l.offset.toString()));
  }
}

/** Index of the first letter at or after `offset` (binary search; letters are in offset order). */
export function firstAtOrAfter(letters: readonly IndexedLetter[], offset: bigint): number {
  let lo = 0;
  let hi = letters.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (letters[mid].offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
