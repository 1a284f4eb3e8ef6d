import type { QueryRunner } from 'typeorm';

/** One partition's offset write: from the value we expect to find to the next offset to read. */
export interface OffsetWrite {
  readonly topic: string;
  readonly partition: number;
  /** `null`: we expect no row yet. */
  readonly expected: string | null;
  readonly next: string;
}

/**
 * Compare-and-set of consumer offsets, in one statement of the flush's transaction: a row is
 * updated only where it still holds the expected offset, and inserted only where none exists.
 * This is the `SELECT … FOR UPDATE` check folded into the write: the UPDATE takes the row lock
 * and, under READ COMMITTED, re-evaluates `next_offset = expected` against a concurrent writer's
 * committed row, so a partition another consumer moved on is simply not returned. An INSERT
 * racing another consumer's insert waits for it and then does nothing. The lock is held to our
 * commit, so no one can move the partition between this check and our data write.
 */
const COMPARE_AND_SET = `
  WITH input AS (
    SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[])
      AS i(topic, partition, expected, next_offset)
  ), moved AS (
    UPDATE consumer_offsets o SET next_offset = i.next_offset, updated_at = now()
      FROM input i
     WHERE o.group_id = $1 AND o.topic = i.topic AND o.partition = i.partition
       AND o.next_offset = i.expected
    RETURNING o.topic, o.partition
  ), created AS (
    INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
    SELECT $1, i.topic, i.partition, i.next_offset FROM input i WHERE i.expected IS NULL
    ON CONFLICT DO NOTHING
    RETURNING topic, partition
  )
  SELECT topic, partition FROM moved UNION ALL SELECT topic, partition FROM created`;

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Writes the offsets that still hold their expected value; returns the keys
 * (`topic\0partition`) of those written. The rest are fenced.
 */
export async function compareAndSetOffsets(
  runner: QueryRunner,
  group: string,
  writes: readonly OffsetWrite[],
): Promise<Set<string>> {
  if (writes.length === 0) return new Set();
  // Sorted, so two flushes touching the same partitions lock them in the same order.
  const sorted = [...writes].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
  const result = await runner.query(
    COMPARE_AND_SET,
    [
      group,
      sorted.map((w) => w.topic),
      sorted.map((w) => w.partition),
      sorted.map((w) => w.expected),
      sorted.map((w) => w.next),
    ],
    true,
  );
  const rows = result.records as Array<{ topic: string; partition: number }>;
  return new Set(rows.map((row) => partitionKey(row.topic, row.partition)));
}

/** The currently stored offsets of some partitions (for the report of fenced ones). */
export async function readStoredOffsets(
  runner: QueryRunner,
  group: string,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
): Promise<Map<string, string>> {
  const rows: Array<{ topic: string; partition: number; next_offset: string }> = await runner.query(
    `SELECT o.topic, o.partition, o.next_offset::text AS next_offset
       FROM consumer_offsets o
       JOIN unnest($2::text[], $3::int[]) AS p(topic, partition)
         ON o.topic = p.topic AND o.partition = p.partition
      WHERE o.group_id = $1`,
    [group, partitions.map((p) => p.topic), partitions.map((p) => p.partition)],
  );
  return new Map(rows.map((row) => [partitionKey(row.topic, row.partition), row.next_offset]));
}
