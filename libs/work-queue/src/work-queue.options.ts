import type { IncomingEvent } from '@lib/queue';
import type { QueryRunner } from 'typeorm';
import type { BackoffPolicy } from './backoff';

/**
 * Writes one batch inside the flush's transaction, ideally as one multi-row statement (see
 * {@link unnestUpsert}). It must use `runner` (the transaction's connection) and must not commit.
 */
export type BatchWriter<TOut> = (runner: QueryRunner, batch: readonly TOut[]) => Promise<unknown>;

/** Options shared by both flavours of work queue; unset ones come from the module's config. */
export interface WorkQueueCommonOptions<TOut> {
  /** Unique per app: metrics label, readiness key `work-queue:<name>`, de-duplication scope. */
  readonly name: string;
  readonly write: BatchWriter<TOut>;
  /** Pause between the end of one flush and the start of the next (FLUSH_INTERVAL_MS). */
  readonly flushIntervalMs?: number;
  /** Buffered events that start a flush at once instead of waiting for the interval. */
  readonly flushAtSize?: number;
  /** Buffered plus flushing events above which the queue pauses its streams. */
  readonly highWatermark?: number;
  /** Buffered plus flushing events below which it resumes them. */
  readonly lowWatermark?: number;
  /**
   * Apply each `eventId` once within the retention window (processed_events), also within one
   * batch. Default true: duplicates made before the broker (client retries, spool replays) exist
   * on every broker.
   */
  readonly dedupe?: boolean;
  /**
   * Store `next_offset` per partition of the stream's main topic in the flush's transaction,
   * fenced against other writers. Default: on when BROKER=kafka.
   */
  readonly trackOffsets?: boolean;
  /** A flush running longer than this is abandoned (connection dropped) and retried. Default 10 s. */
  readonly flushTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /** How long close() keeps retrying the final flush before discarding. Default 10 s. */
  readonly closeTimeoutMs?: number;
}

/**
 * A queue that merges events into one aggregate per key (e.g. views per day and page); the
 * writer gets one value per key, sorted by key so concurrent writers lock rows in the same order.
 */
export interface AggregateQueueOptions<TEvent, TAgg> extends WorkQueueCommonOptions<TAgg> {
  /** The aggregate's key; `value` is the event's {@link valueOf}, which runs first. */
  keyOf(event: IncomingEvent<TEvent>, value: TAgg): string;
  /** The contribution of one event. */
  valueOf(event: IncomingEvent<TEvent>): TAgg;
  /** Combines an older and a newer value; must not mutate either (a failed batch is retried). */
  merge(older: TAgg, newer: TAgg): TAgg;
}

/** A queue of rows appended as they come (e.g. log lines); the writer gets them in arrival order. */
export interface AppendQueueOptions<TEvent, TRow> extends WorkQueueCommonOptions<TRow> {
  rowOf(event: IncomingEvent<TEvent>): TRow;
}
