import { Deferred } from '../deferred';

/** One de-duplicated event's contribution, kept until the flush knows whether its id is new. */
export interface PendingEntry<TOut> {
  readonly key: string | undefined;
  readonly value: TOut;
}

/** The storage a bucket uses, chosen by the queue's flavour and de-duplication. */
export type BucketMode = 'aggregate' | 'append' | 'dedupe';

/** Compares two non-negative decimal strings without leading zeros (Kafka offsets). */
export function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What the buffer holds for one (topic, partition): its events' contributions, the highest
 * offset seen, and the promises of the add() calls that put them here. Keeping partitions apart
 * lets a flush drop exactly the partitions that were fenced and settle each one's callers.
 */
export class PartitionBucket<TOut> {
  /** Events added, duplicates within the buffer included (they are finished by this flush too). */
  events = 0;
  /** Highest offset added, for `next_offset`; only kept when offsets are tracked. */
  maxOffset: string | null = null;
  /** Lowest offset added: below the stored offset means events were added out of order. */
  minOffset: string | null = null;
  /** Aggregate mode: merged value per key. */
  readonly aggregates = new Map<string, TOut>();
  /** Append mode: rows in arrival order. */
  readonly rows: TOut[] = [];
  /** Dedupe mode: contribution per event id; the first delivery of an id wins. */
  readonly entries = new Map<string, PendingEntry<TOut>>();
  /** Every add() that touched this bucket waits on one of these; all settle together. */
  private readonly waiters: Deferred[] = [new Deferred()];

  constructor(
    readonly id: string,
    readonly topic: string,
    readonly partition: number,
    /** True when this bucket's offsets are stored (main topic of an offset-tracking queue). */
    readonly tracked: boolean,
  ) {}

  /** The promise add() hands out for events in this bucket. */
  get promise(): Promise<void> {
    return this.waiters[0].promise;
  }

  noteOffset(offset: string): void {
    if (this.maxOffset === null || compareOffsets(offset, this.maxOffset) > 0)
      this.maxOffset = offset;
    if (this.minOffset === null || compareOffsets(offset, this.minOffset) < 0)
      this.minOffset = offset;
  }

  /** `next_offset` to store: the highest offset + 1, never below what is stored already. */
  nextOffset(stored: string | null): string {
    const next = (BigInt(this.maxOffset as string) + 1n).toString();
    return stored !== null && compareOffsets(stored, next) > 0 ? stored : next;
  }

  /** Moves a newer bucket of the same partition into this (older) one; older values come first. */
  absorb(
    newer: PartitionBucket<TOut>,
    merge: ((older: TOut, newer: TOut) => TOut) | undefined,
  ): void {
    this.events += newer.events;
    if (newer.maxOffset !== null) this.noteOffset(newer.maxOffset);
    if (newer.minOffset !== null) this.noteOffset(newer.minOffset);
    for (const [key, value] of newer.aggregates) {
      const older = this.aggregates.get(key);
      this.aggregates.set(key, older === undefined ? value : merge!(older, value));
    }
    for (const row of newer.rows) this.rows.push(row);
    for (const [eventId, entry] of newer.entries) {
      if (!this.entries.has(eventId)) this.entries.set(eventId, entry);
    }
    this.waiters.push(...newer.waiters);
  }

  resolve(): void {
    for (const waiter of this.waiters) waiter.resolve();
  }

  reject(error: unknown): void {
    for (const waiter of this.waiters) waiter.reject(error);
  }
}
