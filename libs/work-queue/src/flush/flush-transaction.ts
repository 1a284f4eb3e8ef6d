import type { QueryRunner } from 'typeorm';
import type { PartitionBucket } from '../buffer/partition-bucket';
import type { WorkBuffer } from '../buffer/work-buffer';
import { claimEventIds } from '../dedupe/processed-events';
import { compareAndSetOffsets, readStoredOffsets } from '../offsets/offset-fence';
import type { PlannedOffset } from '../offsets/offset-plan';
import type { BatchWriter } from '../work-queue.options';

/** What one flush needs besides its batch. */
export interface FlushContext<TOut> {
  readonly group: string;
  /** Set when the queue stores offsets: the writes planned when the batch was taken. */
  readonly offsets?: ReadonlyArray<PlannedOffset>;
  /** Set when the queue de-duplicates: the processed_events scope. */
  readonly dedupeScope?: string;
  readonly write: BatchWriter<TOut>;
}

/** A partition whose batch was dropped because another consumer moved its offset on. */
export interface FencedBucket<TOut> {
  readonly bucket: PartitionBucket<TOut>;
  readonly expected: string | null;
  readonly stored: string | null;
}

/** What a committed flush did; applied to the ledger and the callers only after COMMIT. */
export interface FlushOutcome<TOut> {
  readonly committed: PartitionBucket<TOut>[];
  /**
   * Partitions whose stored offset is already exactly this batch's next offset: an earlier attempt
   * of this flush committed although it timed out here, or another consumer applied exactly these
   * events. Nothing of theirs is written again, and their callers are told the events were applied.
   */
  readonly landed: PartitionBucket<TOut>[];
  readonly fenced: FencedBucket<TOut>[];
  /** Events whose effect was written (duplicates and fenced partitions excluded). */
  readonly applied: number;
  /** Events finished by this flush (duplicates included, fenced excluded). */
  readonly events: number;
  /** Values handed to the writer. */
  readonly rows: number;
  /** Ledger updates to make once committed. */
  readonly advances: readonly PlannedOffset[];
}

/**
 * The body of one flush transaction, in this order: (1) compare-and-set the offsets of the
 * batch's tracked partitions, so fenced partitions are known before anything is written and are
 * left out entirely; (2) claim the event ids of the remaining partitions in processed_events;
 * (3) build the writer's batch from the newly claimed events only and write it. All of it
 * commits or rolls back together, so data, offsets and processed ids never disagree.
 */
export async function writeBatchInTransaction<TEvent, TOut>(
  runner: QueryRunner,
  batch: WorkBuffer<TEvent, TOut>,
  context: FlushContext<TOut>,
): Promise<FlushOutcome<TOut>> {
  const buckets = [...batch.buckets.values()];
  const planned = context.offsets ?? [];
  const plannedById = new Map(planned.map((p) => [`${p.topic}\u0000${p.partition}`, p]));
  const fenced: FencedBucket<TOut>[] = [];
  const landed: PartitionBucket<TOut>[] = [];
  let committed = buckets;
  if (planned.length > 0) {
    const written = await compareAndSetOffsets(runner, context.group, planned);
    const lost = buckets.filter((bucket) => plannedById.has(bucket.id) && !written.has(bucket.id));
    if (lost.length > 0) {
      const stored = await readStoredOffsets(runner, context.group, lost);
      for (const bucket of lost) {
        const plan = plannedById.get(bucket.id)!;
        const at = stored.get(bucket.id) ?? null;
        if (at === plan.next) landed.push(bucket);
        else fenced.push({ bucket, expected: plan.expected, stored: at });
      }
      committed = buckets.filter((bucket) => !lost.includes(bucket));
    }
  }

  const duplicates =
    context.dedupeScope === undefined
      ? undefined
      : await claimEventIds(runner, context.dedupeScope, batch.eventIds(committed));
  const { batch: values, applied } = batch.materialize(committed, duplicates);
  if (values.length > 0) await context.write(runner, values);

  const fencedIds = new Set(fenced.map((f) => f.bucket.id));
  return {
    committed,
    landed,
    fenced,
    applied,
    events: committed.reduce((sum, bucket) => sum + bucket.events, 0),
    rows: values.length,
    advances: planned.filter((p) => !fencedIds.has(`${p.topic}\u0000${p.partition}`)),
  };
}
