import type { IncomingEvent } from '@lib/queue';
import type { BatchShape } from './batch-shape';
import { PartitionBucket, type BucketMode, type PendingEntry } from './partition-bucket';

/** What a flush writes: the writer's batch and how many events it applies. */
export interface Materialized<TOut> {
  readonly batch: TOut[];
  /** Events whose effect is in `batch` (duplicates excluded). */
  readonly applied: number;
}

/** An event's key and value: kept as it is as the bucket's entry in dedupe mode. */
type Prepared<TOut> = PendingEntry<TOut>;

/**
 * The in-memory buffer of one work queue, split per (topic, partition). The queue swaps it out
 * whole at each flush; a failed flush absorbs the newer buffer into the batch it could not write
 * and makes that the buffer again, so nothing is lost or applied twice.
 */
export class WorkBuffer<TEvent, TOut> {
  readonly buckets = new Map<string, PartitionBucket<TOut>>();
  /** Events held, duplicates within the buffer included. */
  events = 0;

  constructor(
    private readonly shape: BatchShape<TEvent, TOut>,
    private readonly mode: BucketMode,
    private readonly trackOffsets: boolean,
  ) {}

  /** An empty buffer of the same kind. */
  fresh(): WorkBuffer<TEvent, TOut> {
    return new WorkBuffer(this.shape, this.mode, this.trackOffsets);
  }

  /**
   * Buffers the events and returns a promise that settles with their flush. All events are
   * mapped before any is buffered, so a throwing mapper leaves the buffer untouched.
   */
  add(events: IncomingEvent<TEvent> | readonly IncomingEvent<TEvent>[]): Promise<void> {
    if (!Array.isArray(events)) {
      const event = events as IncomingEvent<TEvent>;
      return this.insert(event, this.prepare(event), this.bucketOf(event)).promise;
    }
    const list = events as readonly IncomingEvent<TEvent>[];
    const prepared = list.map((event) => this.prepare(event));
    let first: PartitionBucket<TOut> | undefined;
    let others: Set<PartitionBucket<TOut>> | undefined;
    let bucket: PartitionBucket<TOut> | undefined;
    for (let i = 0; i < list.length; i++) {
      const event = list[i];
      // A batch is nearly always one partition's: look its bucket up once, not per event.
      if (
        bucket === undefined ||
        bucket.partition !== event.position.partition ||
        bucket.topic !== event.position.topic
      ) {
        bucket = this.bucketOf(event);
      }
      this.insert(event, prepared[i], bucket);
      if (first === undefined) first = bucket;
      else if (bucket !== first) (others ??= new Set()).add(bucket);
    }
    if (first === undefined) return Promise.resolve();
    if (others === undefined) return first.promise;
    return Promise.all([first.promise, ...[...others].map((b) => b.promise)]).then(() => undefined);
  }

  /** Moves `newer` into this buffer, this buffer's values first. */
  absorb(newer: WorkBuffer<TEvent, TOut>): void {
    for (const [id, bucket] of newer.buckets) {
      const existing = this.buckets.get(id);
      if (existing) existing.absorb(bucket, this.shape.merge);
      else this.buckets.set(id, bucket);
    }
    this.events += newer.events;
  }

  /** Takes out the buckets `predicate` selects (their callers are settled by the caller). */
  remove(predicate: (bucket: PartitionBucket<TOut>) => boolean): PartitionBucket<TOut>[] {
    const removed: PartitionBucket<TOut>[] = [];
    for (const [id, bucket] of this.buckets) {
      if (!predicate(bucket)) continue;
      this.buckets.delete(id);
      this.events -= bucket.events;
      removed.push(bucket);
    }
    return removed;
  }

  /** Event ids held by `buckets`, each once, sorted so concurrent flushes lock in one order. */
  eventIds(buckets: Iterable<PartitionBucket<TOut>>): string[] {
    const ids: string[] = [];
    for (const bucket of buckets) for (const id of bucket.entries.keys()) ids.push(id);
    ids.sort(byCodeUnits);
    // An id sits in two buckets at most rarely (a retry topic and the main topic): adjacent now.
    let kept = 0;
    for (let i = 0; i < ids.length; i++)
      if (kept === 0 || ids[i] !== ids[kept - 1]) ids[kept++] = ids[i];
    ids.length = kept;
    return ids;
  }

  /**
   * The writer's batch from `buckets`. With de-duplication events whose id is in `duplicates`
   * (claimed before) do not count, and every other id counts once (an id may sit in two buckets:
   * a retry topic and the main topic).
   */
  materialize(
    buckets: readonly PartitionBucket<TOut>[],
    duplicates?: Set<string>,
  ): Materialized<TOut> {
    const { keyOf, merge } = this.shape;
    if (this.mode === 'append') {
      const batch = buckets.length === 1 ? buckets[0].rows : buckets.flatMap((b) => b.rows);
      return { batch, applied: batch.length };
    }
    if (this.mode === 'aggregate') {
      const merged = buckets.length === 1 ? buckets[0].aggregates : new Map<string, TOut>();
      if (buckets.length > 1)
        for (const bucket of buckets) mergeInto(merged, bucket.aggregates, merge!);
      return {
        batch: sortedValues(merged),
        applied: buckets.reduce((sum, b) => sum + b.events, 0),
      };
    }
    // A bucket holds each id once: only ids across buckets, or claimed before, need a set.
    const seen =
      buckets.length === 1 && duplicates === undefined ? undefined : new Set<string>(duplicates);
    const merged = new Map<string, TOut>();
    const rows: TOut[] = [];
    let applied = 0;
    for (const bucket of buckets) {
      for (const [eventId, entry] of bucket.entries) {
        if (seen !== undefined) {
          if (seen.has(eventId)) continue;
          seen.add(eventId);
        }
        applied++;
        if (keyOf === undefined) rows.push(entry.value);
        else {
          const older = merged.get(entry.key!);
          merged.set(entry.key!, older === undefined ? entry.value : merge!(older, entry.value));
        }
      }
    }
    return { batch: keyOf === undefined ? rows : sortedValues(merged), applied };
  }

  private prepare(event: IncomingEvent<TEvent>): Prepared<TOut> {
    if (
      this.mode === 'dedupe' &&
      (typeof event.eventId !== 'string' || event.eventId.length === 0)
    ) {
      throw new TypeError(`event of ${event.stream} has no eventId; de-duplication needs one`);
    }
    const value = this.shape.valueOf(event);
    return { key: this.shape.keyOf?.(event, value), value };
  }

  /** The bucket of the event's (topic, partition), made when it is the first one. */
  private bucketOf(event: IncomingEvent<TEvent>): PartitionBucket<TOut> {
    const { topic, partition } = event.position;
    const id = `${topic}\u0000${partition}`;
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      // Only the main topic's offsets are stored: the transport seeks only those (retry topics
      // are committed in Kafka after our commit, and their duplicates are caught by event id).
      bucket = new PartitionBucket<TOut>(
        id,
        topic,
        partition,
        this.trackOffsets && topic === event.stream,
      );
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  private insert(
    event: IncomingEvent<TEvent>,
    prepared: Prepared<TOut>,
    bucket: PartitionBucket<TOut>,
  ): PartitionBucket<TOut> {
    bucket.events++;
    this.events++;
    if (bucket.tracked) bucket.noteOffset(event.position.offset);
    if (this.mode === 'aggregate') {
      const { key, value } = prepared;
      const older = bucket.aggregates.get(key!);
      bucket.aggregates.set(key!, older === undefined ? value : this.shape.merge!(older, value));
    } else if (this.mode === 'append') {
      bucket.rows.push(prepared.value);
    } else if (!bucket.entries.has(event.eventId)) {
      bucket.entries.set(event.eventId, prepared);
    }
    return bucket;
  }
}

function mergeInto<T>(
  target: Map<string, T>,
  source: Map<string, T>,
  merge: (a: T, b: T) => T,
): void {
  for (const [key, value] of source) {
    const older = target.get(key);
    target.set(key, older === undefined ? value : merge(older, value));
  }
}

/** Code-unit order, as `sort()` without a comparator orders strings, without its conversions. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Values in key order: concurrent upserts of overlapping keys then lock rows in one order (no deadlock). */
function sortedValues<T>(map: Map<string, T>): T[] {
  return [...map.keys()].sort(byCodeUnits).map((key) => map.get(key)!);
}
