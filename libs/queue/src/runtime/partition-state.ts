import type { TopicRoute } from './log-routes';
import type { PartitionPipeline } from './pipeline-core';

/** Why a partition of a log broker is not fetched; it fetches again only when no reason is left. */
export type PauseReason =
  /** An operator paused the stream (admin route or console). */
  | 'operator'
  /** A work queue fed by the stream is above its high watermark. */
  | 'backpressure'
  /** The stream's offsets are being moved (an operator's offset reset); cleared once they are. */
  | 'offset-reset'
  /** The in-flight window is full (records read and not finished); cleared below half of it. */
  | 'window-full'
  /** A retry topic's head record is not due yet; cleared by a timer when it is. */
  | 'retry-not-due'
  /** A record asked for redelivery: the partition is read again from it once running work settled. */
  | 'redeliver'
  /** Stop intake (shutdown): never cleared. */
  | 'stopped';

/** Reasons that pause a stream on purpose: records already read are held back too (PartitionPipeline.hold). */
const HOLDS_RECORDS: readonly PauseReason[] = ['operator', 'backpressure'];

/** True for a reason under which records already read are held back, not only the next fetch. */
export function holdsRecords(reason: PauseReason): boolean {
  return HOLDS_RECORDS.includes(reason);
}

/** Reasons that end a fetched batch early: the records after them must not be taken. */
const ENDS_BATCH: readonly PauseReason[] = ['retry-not-due', 'redeliver', 'stopped'];

/** One consumed partition of a log broker: its pipeline and why it is paused. */
export class PartitionState {
  dueTimer?: NodeJS.Timeout;
  windowCheck?: NodeJS.Immediate;
  /** The end of the log as last seen (Kafka high watermark), for the lag. */
  highWatermark = -1;
  /** The offset after the last record taken. */
  fetched = -1;
  private readonly reasons = new Set<PauseReason>();
  /** Cached from {@link reasons}: read once per record. */
  private endsBatch = false;

  constructor(
    readonly route: TopicRoute,
    readonly partition: number,
    readonly pipeline: PartitionPipeline,
  ) {}

  /** True while any reason holds the partition. */
  get paused(): boolean {
    return this.reasons.size > 0;
  }

  /**
   * True while the stream is paused on purpose (an operator or backpressure): records already
   * read are held back too, not only the next fetch (see PartitionPipeline.hold).
   */
  get holdsRecords(): boolean {
    return HOLDS_RECORDS.some((r) => this.reasons.has(r));
  }

  /** True while a reason holds that ends a fetched batch early (see {@link ENDS_BATCH}). */
  get takesNoMore(): boolean {
    return this.endsBatch;
  }

  has(reason: PauseReason): boolean {
    return this.reasons.has(reason);
  }

  /** Adds a reason; true when it is the first one (the partition must be paused now). */
  add(reason: PauseReason): boolean {
    const first = this.reasons.size === 0;
    this.reasons.add(reason);
    this.endsBatch ||= ENDS_BATCH.includes(reason);
    return first;
  }

  /** Removes a reason; true when it was the last one (the partition may fetch again). */
  delete(reason: PauseReason): boolean {
    if (!this.reasons.delete(reason)) return false;
    this.endsBatch = ENDS_BATCH.some((r) => this.reasons.has(r));
    return this.reasons.size === 0;
  }

  /** The reasons that hold the partition, for status and tests. */
  pauseReasons(): PauseReason[] {
    return [...this.reasons];
  }
}
