import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { RawMessage } from '../runtime/envelope';
import { QueueError } from '../queue.errors';
import { rawMessageOf } from './kafka-message';
import { KAFKA_FETCH_OPTIONS } from './server-kafka';

/** Header of the marker records that say which dead letters of their partition were replayed. */
export const MARKER_HEADER = 'x-dlt-replayed';

/** A marker's value starts so (see {@link markerValue}); a letter's rarely does. */
const MARKER_VALUE_START = Buffer.from('{"offsets":');

/** How long a request waits for the reader to reach the ends it saw. */
const CATCH_UP_TIMEOUT_MS = 15_000;
/** Letters whose headers are read per turn of the event loop in the background. */
const WARM_SLICE = 1_000;

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
  /** Letters below this offset have their headers decoded. */
  warmedUpTo: bigint;
}

/** The value of a marker record naming replayed offsets of its partition. */
export function markerValue(offsets: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ offsets }));
}

/**
 * An in-memory index of one dead-letter topic, kept current by ONE long-lived consumer of a
 * throwaway group (kafkajs cannot fetch without a group) that commits nothing and is deleted on
 * close, so listing pages costs no group join per request. Markers of partial replays remove the
 * letters they name; records deleted by purge or replay are dropped when a request sees the
 * partition's new log start.
 *
 * Catching up decodes no letter: only a record whose value starts like a marker has its headers
 * read (the patched kafkajs decodes keys, headers and timestamps on first access). Decoding every
 * letter's headers was half of the time to the first page of a large topic. Once a request has
 * been answered, the letters' headers are read in the background, a slice per turn of the event
 * loop, so that a filtered page (which looks at every letter up to a page of matches) finds them
 * decoded.
 */
export class KafkaDeadLetterIndex {
  private readonly partitions = new Map<number, PartitionLetters>();
  private consumer?: Consumer;
  private groupId?: string;
  private starting?: Promise<void>;
  private failure?: Error;
  private warming = false;

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
    this.warm();
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
    // Named after the topic, so that an operator (or a test) can tell whose reader it is.
    this.groupId = `dead-letter-index-${this.topic}-${randomUUID()}`;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      // The transport's fetch sizes: a large topic is read in a few fetches rather than dozens.
      ...KAFKA_FETCH_OPTIONS,
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
        if (!known)
          this.partitions.set(
            batch.partition,
            (known = { letters: [], next: -1n, warmedUpTo: 0n }),
          );
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset < known.next) continue;
          known.next = offset + 1n;
          if (isMarker(m)) this.applyMarker(known, m.value!);
          else
            known.letters.push({ offset, message: rawMessageOf(this.topic, batch.partition, m) });
        }
        const last = BigInt(batch.lastOffset()) + 1n;
        if (last > known.next) known.next = last;
      },
    });
  }

  /** Decodes the headers and times of letters not decoded yet, in slices, until all are. */
  private warm(): void {
    if (this.warming) return;
    this.warming = true;
    const step = () => {
      let budget = WARM_SLICE;
      for (const known of this.partitions.values()) {
        const letters = known.letters;
        let i = firstAtOrAfter(letters, known.warmedUpTo);
        for (; i < letters.length && budget > 0; i++, budget--) decodeLazyFields(letters[i]);
        known.warmedUpTo =
          i < letters.length ? letters[i].offset : (letters.at(-1)?.offset ?? -1n) + 1n;
      }
      if (budget === 0 && this.consumer) setImmediate(step);
      else this.warming = false;
    };
    setImmediate(step);
  }

  private applyMarker(known: PartitionLetters, value: Buffer): void {
    const { offsets } = JSON.parse(value.toString()) as { offsets: string[] };
    const replayed = new Set(offsets);
    known.letters = known.letters.filter((l) => !replayed.has(l.offset.toString()));
  }
}

/** Reads what kafka-message.ts decodes on first access (and keeps): headers and record time. */
function decodeLazyFields(letter: IndexedLetter): void {
  // Read for the decoding alone: the message keeps what it decoded.
  void letter.message.headers;
  void letter.message.timestamp;
}

/** Whether a record is a replay marker; reads its headers only when its value looks like one. */
function isMarker(m: KafkaMessage): boolean {
  const value = m.value;
  return (
    value !== null &&
    value.length > MARKER_VALUE_START.length &&
    value.compare(
      MARKER_VALUE_START,
      0,
      MARKER_VALUE_START.length,
      0,
      MARKER_VALUE_START.length,
    ) === 0 &&
    m.headers?.[MARKER_HEADER] !== undefined
  );
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
