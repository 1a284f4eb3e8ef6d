import type { QueryRunner } from 'typeorm';

/**
 * Records event ids as processed, in the flush's transaction, and returns those that were not new:
 * the duplicates, almost always none. Ids already present (an earlier batch, another instance)
 * are skipped by ON CONFLICT DO NOTHING; an id another transaction is inserting right now waits
 * for it, so two instances never both apply one event. `ids` must be distinct and sorted (lock
 * order).
 *
 * A flush claims thousands of ids and almost never finds a duplicate, so the common path is the
 * bare INSERT and its row count: returning the inserted ids and comparing them with the input
 * cost about a sixth more in PostgreSQL, plus the driver's parsing of every id. Only when fewer
 * rows went in than were offered does a second statement name the duplicates: the offered ids
 * whose row was not inserted by this transaction (its `xmin` is another transaction's id).
 */
export async function claimEventIds(
  runner: QueryRunner,
  scope: string,
  ids: readonly string[],
): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const inserted = await runner.query(
    `INSERT INTO processed_events (group_id, event_id)
     SELECT $1, id FROM unnest($2::text[]) AS u(id)
     ON CONFLICT DO NOTHING`,
    [scope, ids],
    true,
  );
  if ((inserted as { affected?: number }).affected === ids.length) return new Set();
  const rows: Array<{ event_id: string }> = await runner.query(
    `SELECT u.id AS event_id FROM unnest($2::text[]) AS u(id)
      WHERE NOT EXISTS (
        SELECT 1 FROM processed_events p
         WHERE p.group_id = $1 AND p.event_id = u.id AND p.xmin = pg_current_xact_id()::xid)`,
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
