import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { QueryRunner } from 'typeorm';
import { groupByShard, shardOf } from './merge-shards';
import {
  decodeVisitorUpdates,
  encodeVisitorUpdates,
  type OwnedVisitorUpdates,
  type VisitorUpdates,
} from './visitor-updates.codec';

/** The table of visitor updates waiting for the sketch merge (migration PageVisitorSketches). */
export const PAGE_VISITOR_UPDATES = 'page_visitor_updates';

/**
 * Records a flush's visitors (their hashes) as one row per shard (shardOf the page id), in the caller's
 * (the flush's) transaction; entries keep their order within a shard. `shards[i]` is entry i's
 * shard, when the caller has it already.
 */
export async function appendVisitorUpdates(
  runner: QueryRunner,
  entries: readonly VisitorUpdates[],
  shards: readonly number[] = entries.map((entry) => shardOf(entry.pageId)),
): Promise<void> {
  if (entries.length === 0) return;
  const params: unknown[] = [];
  const values: string[] = [];
  groupByShard(entries, shards).forEach((list, shard) => {
    if (list.length === 0) return;
    params.push(shard, encodeVisitorUpdates(list));
    values.push(`($${params.length - 1}::smallint, $${params.length}::bytea)`);
  });
  await runner.query(
    `INSERT INTO ${PAGE_VISITOR_UPDATES} (shard, updates) VALUES ${values.join(', ')}`,
    params,
  );
}

/** Rows taken by {@link takeVisitorUpdates}. */
export interface TakenVisitorUpdates {
  /** Rows read (taken and rejected): fewer than the limit means none were left. */
  readonly read: number;
  /** Rows deleted, their updates in `entries`. */
  readonly taken: number;
  /** Their visitors, one entry per (day, page), in key order. */
  readonly entries: OwnedVisitorUpdates[];
  /** Rows that do not decode: left in the table, with the reason. */
  readonly rejected: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

/**
 * Deletes up to `limit` of the oldest rows (of `shard`, or of any; but those in `skip`), in the
 * caller's transaction, and
 * returns their visitors grouped by key: the rows are gone only if that transaction commits (with
 * the merged sketches). SKIP LOCKED lets several instances merge at once, each its own rows.
 *
 * A row that does not decode (only this code writes them, so it takes a manual write or a
 * damaged page) is neither deleted nor merged: it is returned in `rejected`, for the caller to
 * report and skip, so that it does not hold up every merge after it.
 */
export async function takeVisitorUpdates(
  runner: QueryRunner,
  limit: number,
  skip: ReadonlySet<string> = new Set(),
  shard?: number,
): Promise<TakenVisitorUpdates> {
  const rows = (await runner.query(
    `SELECT id::text AS id, updates FROM ${PAGE_VISITOR_UPDATES}
      WHERE NOT (id = ANY($2::bigint[])) AND ($3::smallint IS NULL OR shard = $3)
      ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit, [...skip], shard ?? null],
  )) as Array<{ id: string; updates: Buffer }>;
  const lists: VisitorUpdates[][] = [];
  const takenIds: string[] = [];
  const rejected: Array<{ id: string; reason: string }> = [];
  for (const row of rows) {
    try {
      lists.push(decodeVisitorUpdates(row.updates));
      takenIds.push(row.id);
    } catch (error) {
      rejected.push({ id: row.id, reason: error instanceof Error ? error.message : String(error) });
    }
    await yieldToEventLoop(); // a row holds a flush's visitors: decoding them all at once would hold up the flushes
  }
  if (takenIds.length > 0)
    await runner.query(`DELETE FROM ${PAGE_VISITOR_UPDATES} WHERE id = ANY($1::bigint[])`, [
      takenIds,
    ]);
  return { read: rows.length, taken: takenIds.length, entries: groupByKey(lists), rejected };
}

/**
 * One entry per (day, page), its hashes and legacy updates concatenated into arrays of its own
 * (the inputs are not touched), sorted by day then page id (the lock order).
 */
export function groupByKey(lists: ReadonlyArray<readonly VisitorUpdates[]>): OwnedVisitorUpdates[] {
  const byKey = new Map<
    string,
    { entry: VisitorUpdates; parts: VisitorUpdates[]; hashes: number }
  >();
  for (const list of lists) {
    for (const entry of list) {
      const key = `${entry.day}|${entry.pageId}`;
      const existing = byKey.get(key);
      if (existing === undefined)
        byKey.set(key, { entry, parts: [entry], hashes: entry.hashes.length });
      else {
        existing.parts.push(entry);
        existing.hashes += entry.hashes.length;
      }
    }
  }
  const grouped: OwnedVisitorUpdates[] = [];
  for (const { entry, parts, hashes } of byKey.values()) {
    const all = new BigUint64Array(hashes);
    const legacyUpdates: number[] = [];
    let at = 0;
    for (const part of parts) {
      all.set(part.hashes, at);
      at += part.hashes.length;
      if (part.legacyUpdates !== undefined)
        for (const update of part.legacyUpdates) legacyUpdates.push(update);
    }
    grouped.push({ day: entry.day, pageId: entry.pageId, hashes: all, legacyUpdates });
  }
  return grouped.sort(byDayThenPage);
}

/**
 * The lock order of merges: by day, then by page id in UTF-16 code units, which is code-point
 * order but for characters beyond U+FFFF against U+E000–U+FFFF. What matters is that every merge
 * uses the same order, and that a rebuild locks a day's sketches in it too (`COLLATE "C"`, see
 * replaceDay), not that it matches the database's collation.
 */
function byDayThenPage(a: VisitorUpdates, b: VisitorUpdates): number {
  if (a.day !== b.day) return a.day < b.day ? -1 : 1;
  return a.pageId < b.pageId ? -1 : a.pageId > b.pageId ? 1 : 0;
}
