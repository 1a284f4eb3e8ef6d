import type { EventMetadataReader, IncomingEvent } from './incoming-event';
import { QueueError } from './queue.errors';

/** A position in one partition of a stream's log. */
export interface PartitionOffset {
  readonly partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  readonly offset: string;
}

/**
 * Records of one partition handed to a follower callback, in log order; `metadataOf(event)` gives
 * an event's key, headers, record time, … (see {@link EventMetadataReader}).
 */
export interface StreamLogBatch extends EventMetadataReader {
  readonly partition: number;
  /** The parsable records of the batch (payload parsed, `eventId` present), in offset order. */
  readonly events: ReadonlyArray<IncomingEvent<unknown>>;
  /** Records of the batch that were not an event (not JSON, no `eventId`): skipped. */
  readonly malformed: number;
  /** The offset after this batch (last offset + 1), markers and skipped records included. */
  readonly nextOffset: string;
}

/** A running read of a stream's log; see {@link StreamLog.follow}. */
export interface StreamLogFollower {
  /** Rejects when the read fails (the broker is gone, the consumer crashed); never resolves. */
  readonly failed: Promise<never>;
  /** Stops reading and releases the connection; idempotent. */
  close(): Promise<void>;
}

/** Thrown by {@link StreamLog} on a broker that keeps no replayable log. */
export class StreamLogUnavailableError extends QueueError {
  constructor(readonly broker: string) {
    super(
      `reading the stream log requires BROKER=kafka; this instance runs BROKER=${broker}`,
      false,
    );
  }
}

/**
 * Read access to a stream's retained log (Kafka only), independent of any consumer group:
 * nothing is committed, the app's own consumer is not disturbed. For recomputing state from the
 * log (pv-counter's day rebuild). Provided by the QueueModule; on other brokers {@link available}
 * is false and every method throws {@link StreamLogUnavailableError}.
 */
export abstract class StreamLog {
  /** Whether the configured broker keeps a log that can be read again. */
  abstract readonly available: boolean;

  /** The configured broker (`kafka`, `rabbitmq`, `memory`), for messages. */
  abstract readonly broker: string;

  /**
   * Per partition, the offset of the first record whose (publish) timestamp is at or after
   * `timestampMs`; the partition's end offset when there is none.
   */
  abstract offsetsAt(stream: string, timestampMs: number): Promise<PartitionOffset[]>;

  /**
   * Reads the listed partitions forward from the given offsets, batch by batch, and keeps
   * following the log until closed. `onBatch` is awaited before the next batch is handed over,
   * so a slow caller slows the read instead of buffering it. Records before a partition's start
   * offset are never handed over; each record is handed over at most once.
   */
  abstract follow(
    stream: string,
    from: readonly PartitionOffset[],
    onBatch: (batch: StreamLogBatch) => Promise<void> | void,
  ): Promise<StreamLogFollower>;
}

/** The StreamLog of a broker without a replayable log (RabbitMQ, memory). */
export class UnavailableStreamLog extends StreamLog {
  readonly available = false;

  constructor(readonly broker: string) {
    super();
  }

  offsetsAt(): Promise<PartitionOffset[]> {
    return Promise.reject(new StreamLogUnavailableError(this.broker));
  }

  follow(): Promise<StreamLogFollower> {
    return Promise.reject(new StreamLogUnavailableError(this.broker));
  }
}
