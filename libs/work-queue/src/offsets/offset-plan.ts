import { compareOffsets, type PartitionBucket } from '../buffer/partition-bucket';
import type { OffsetWrite } from './offset-fence';
import type { OffsetLedger } from './offset-ledger';

/** An offset write and the ledger generation its expectation came from. */
export type PlannedOffset = OffsetWrite & { readonly generation: number };

/**
 * The offset writes of a batch, planned when the batch is taken: for each tracked partition, the
 * offset the ledger expects to find and `max offset + 1` (never below the expected one). Taking
 * the expectations with the batch matters: a reload after this point starts a new generation,
 * which this batch's commit must not advance, since its events belong to the old assignment.
 *
 * `onOutOfOrder` is told about a partition with an event below the stored offset: it reached
 * the queue after later ones were committed, i.e. the handler ran out of partition order
 * (per-record mode with per-key concurrency, where a key waits for our commit). Its data is
 * still applied, but a crash before this flush would have lost it, since the stored offset
 * already skipped it: offset-tracking queues need handlers that add in partition order.
 */
export function planOffsetWrites<T>(
  buckets: Iterable<PartitionBucket<T>>,
  ledger: OffsetLedger,
  group: string,
  onOutOfOrder: (bucket: PartitionBucket<T>, stored: string) => void,
): PlannedOffset[] {
  const planned: PlannedOffset[] = [];
  for (const bucket of buckets) {
    if (!bucket.tracked || bucket.maxOffset === null) continue;
    const { offset, generation } = ledger.expectation(group, bucket.topic, bucket.partition);
    if (offset !== null && compareOffsets(bucket.minOffset!, offset) < 0)
      onOutOfOrder(bucket, offset);
    planned.push({
      topic: bucket.topic,
      partition: bucket.partition,
      expected: offset,
      next: bucket.nextOffset(offset),
      generation,
    });
  }
  return planned;
}
