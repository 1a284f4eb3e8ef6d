import type { QueryRunner } from 'typeorm';

/**
 * Records event ids as processed, in the flush's transaction, and returns those that were not new:
 * the duplicates, almost always none. Ids already present (an earlier batch, another instance)
 * are skipped by ON CONFLICT DO NOTHING; an id another transaction is inserting right now waits
 * for it, so two instances never both apply one event. `ids` must be distinct and sorted (lock
 * order). Only the duplicates come back because a flush claims thousands of ids, and reading each
 * of them back cost the app more than the insert.
 */
export async function claimEventIds(
  runner: QueryRunner,
  scope: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows: Array<{ event_id: string }> = await runner.query(
    `WITH claimed AS (
       INSERT INTO processed_events (group_id, event_id)
       SELECT $1, id FROM unnest($2::text[]) AS u(id)
       ON CONFLICT DO NOTHING
       RETURNING event_id
     )
     SELECT id AS event_id FROM unnest($2::text[]) AS u(id)
     EXCEPT ALL
     SELECT event_id FROM claimed`,
    [scope, ids],
  );
  return new Set(rows.map((row) => row.event_id));
}

/**
 * Deletes up to `limit` ids of `scope` processed more than `hours` ago (by the database's
 * clock); returns how many. SKIP LOCKED lets several instances run retention at once.
 */
export async function deleteProcessedBefore(
  runner: QueryRunner,
  scope: string,
  hours: number,
  limit: number,
): Promise<number> {
  const result = await runner.query(
    `WITH doomed AS (
       SELECT ctid FROM processed_events
        WHERE group_id = $1 AND processed_at < now() - make_interval(hours => $2)
        LIMIT $3 FOR UPDATE SKIP LOCKED
     )
     DELETE FROM processed_events p USING doomed WHERE p.ctid = doomed.ctid`,
    [scope, hours, limit],
    true,
  );
  return result.affected ?? 0;
}
