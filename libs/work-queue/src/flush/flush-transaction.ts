import type { QueryRunner } from 'typeorm';
import type { PartitionBucket } from '../buffer/partition-bucket';
import type { Materialized, WorkBuffer } from '../buffer/work-buffer';
import { CLAIM_SAVEPOINT, claimAllNew, claimWithConflicts } from '../dedupe/processed-events';
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
 * left out entirely; (2) claim the event ids of the remaining partitions in `dedupe_ids`;
 * (3) build the writer's batch from the newly claimed events only and write it. All of it
 * commits or rolls back together, so data, offsets and processed ids never disagree.
 *
 * Claimed ids are nearly always all new, so the batch is built from all of them while PostgreSQL
 * inserts the keys (under a savepoint, in the claim's one message) and written once the claim
 * has found every id new. When some id was claimed before, the claim is rolled back to the
 * savepoint and made again naming its duplicates, and the batch is built without them.
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

  const { batch: values, applied } =
    context.dedupeScope !== undefined
      ? await claimAndWrite(runner, batch, committed, context.dedupeScope, context.write)
      : await write(runner, batch.materialize(committed), context.write);

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

/** Claims the event ids of `committed` and writes their batch (optimistically, see above). */
async function claimAndWrite<TEvent, TOut>(
  runner: QueryRunner,
  batch: WorkBuffer<TEvent, TOut>,
  committed: readonly PartitionBucket<TOut>[],
  scope: string,
  writer: BatchWriter<TOut>,
): Promise<Materialized<TOut>> {
  const ids = batch.eventIds(committed);
  const now = Date.now();
  const claim = claimAllNew(runner, scope, ids, now);
  // Built while PostgreSQL inserts the keys (one statement at a time on a connection: nothing
  // is sent before the claim has settled).
  let hoped: Materialized<TOut>;
  try {
    hoped = batch.materialize(committed);
  } catch (error) {
    await claim.catch(() => undefined);
    throw error;
  }
  if (await claim) return write(runner, hoped, writer);
  await runner.query(
    `ROLLBACK TO SAVEPOINT ${CLAIM_SAVEPOINT}; RELEASE SAVEPOINT ${CLAIM_SAVEPOINT}`,
  );
  const duplicates = await claimWithConflicts(runner, scope, ids, now);
  return write(runner, batch.materialize(committed, duplicates), writer);
}

async function write<TOut>(
  runner: QueryRunner,
  materialized: Materialized<TOut>,
  writer: BatchWriter<TOut>,
): Promise<Materialized<TOut>> {
  if (materialized.batch.length > 0) await writer(runner, materialized.batch);
  return materialized;
}
