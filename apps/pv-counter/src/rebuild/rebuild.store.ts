import type { QueryRunner } from 'typeorm';
import {
  packSketches,
  PAGE_VIEW_UPDATES,
  PAGE_VIEWS_DAILY,
  PAGE_VISITORS_DAILY,
  unpackedSketch,
} from '../storage';
import type { RecountedPage } from './day-recount';

/** A session-level advisory lock key: one rebuild at a time across every pv-counter instance. */
const REBUILD_LOCK_SQL = "hashtext('pv-counter:rebuild-day')";

/** Takes the rebuild lock on the runner's connection if free; false when another rebuild holds it. */
export async function tryRebuildLock(runner: QueryRunner): Promise<boolean> {
  const rows = (await runner.query(
    `SELECT pg_try_advisory_lock(${REBUILD_LOCK_SQL}) AS locked`,
  )) as Array<{ locked: boolean }>;
  return rows[0]?.locked === true;
}

/** Releases {@link tryRebuildLock}'s lock (closing the connection releases it too). */
export async function releaseRebuildLock(runner: QueryRunner): Promise<void> {
  await runner.query(`SELECT pg_advisory_unlock(${REBUILD_LOCK_SQL})`);
}

/** The live consumer's committed offsets of `topic` (what the live counts include), per partition. */
export async function committedOffsets(
  runner: QueryRunner,
  group: string,
  topic: string,
  forUpdate = false,
): Promise<Map<number, bigint>> {
  const rows = (await runner.query(
    `SELECT partition, next_offset::text AS next_offset FROM consumer_offsets
      WHERE group_id = $1 AND topic = $2 ORDER BY partition${forUpdate ? ' FOR UPDATE' : ''}`,
    [group, topic],
  )) as Array<{ partition: number; next_offset: string }>;
  return new Map(rows.map((row) => [row.partition, BigInt(row.next_offset)]));
}

/**
 * Stops the live flush of `topic` until the caller's transaction ends, and returns the offsets it
 * committed last. The live flush writes `consumer_offsets` first and the data after (see
 * libs/work-queue flush-transaction), so locking the offset rows first, in partition order as
 * the flush does, cannot deadlock with it: a flush that got its offset rows before us finishes
 * (our lock waits for its commit, so the offsets returned include it) and one that comes later
 * waits for us before touching any data row.
 *
 * A partition without a row yet would let a flush INSERT its first offset row past our row
 * locks; when `partitions` has one, the whole table is locked instead (SHARE ROW EXCLUSIVE:
 * every writer of consumer_offsets waits, readers do not). That case only arises before a
 * partition's first flush, so the short stall of other consumers is rare.
 */
export async function lockLiveOffsets(
  runner: QueryRunner,
  group: string,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, bigint>> {
  const known = await committedOffsets(runner, group, topic);
  if (partitions.some((p) => !known.has(p))) {
    await runner.query('LOCK TABLE consumer_offsets IN SHARE ROW EXCLUSIVE MODE');
    return committedOffsets(runner, group, topic);
  }
  return committedOffsets(runner, group, topic, true);
}

/**
 * Replaces the day's counts and sketches by the recount, in the caller's transaction (which holds
 * the live offsets, so no flush of the day runs meanwhile).
 *
 * The day's views waiting in page_view_updates came from flushes below the live offsets, so the
 * recount holds them already: they are deleted first. A view merge that took some of them
 * holds their row locks; the DELETE waits for it to commit, so by the time the day's counts are
 * deleted, what it added is among them, and no later merge can add them again.
 *
 * The sketch merge may be running: the day's sketch rows are locked first, in code-point order of
 * the page id as the merge sorts them (JavaScript compares UTF-16 code units, which agrees but for
 * characters beyond U+FFFF against U+E000–U+FFFF; the database's collation may not agree at
 * all), so the two wait for each other rather than deadlock. Should they deadlock all the same
 * (a key the merge inserts meanwhile), PostgreSQL aborts one: the swap is retried, the merge runs
 * again later.
 *
 * Visitor updates still waiting in page_visitor_updates came from flushes below the live offsets,
 * so the recount holds them already; merging them later changes nothing (a sketch merge is
 * idempotent). A sketch the merge inserts between our DELETE and INSERT is overwritten by the
 * recount's, for the same reason.
 */
export async function replaceDay(
  runner: QueryRunner,
  date: string,
  pages: ReadonlyMap<string, RecountedPage>,
): Promise<void> {
  await runner.query(`DELETE FROM ${PAGE_VIEW_UPDATES} WHERE day = $1`, [date]);
  await runner.query(
    `SELECT 1 FROM ${PAGE_VISITORS_DAILY} WHERE day = $1 ORDER BY page_id COLLATE "C" FOR UPDATE`,
    [date],
  );
  await runner.query(`DELETE FROM ${PAGE_VISITORS_DAILY} WHERE day = $1`, [date]);
  await runner.query(`DELETE FROM ${PAGE_VIEWS_DAILY} WHERE day = $1`, [date]);
  if (pages.size === 0) return;
  const ids: string[] = [];
  const views: string[] = [];
  const sketchIds: string[] = [];
  const sketches: Buffer[] = [];
  for (const [pageId, page] of pages) {
    ids.push(pageId);
    views.push(String(page.views));
    if (page.sketch === undefined) continue;
    sketchIds.push(pageId);
    sketches.push(page.sketch.toBytes());
  }
  await runner.query(
    `INSERT INTO ${PAGE_VIEWS_DAILY} (day, page_id, views)
     SELECT $1::date, u.page_id, u.views FROM unnest($2::text[], $3::bigint[]) AS u(page_id, views)`,
    [date, ids, views],
  );
  if (sketches.length === 0) return;
  const packed = packSketches(sketches);
  await runner.query(
    `INSERT INTO ${PAGE_VISITORS_DAILY} (day, page_id, hll)
     SELECT $1::date, u.page_id, ${unpackedSketch('$5')}
       FROM unnest($2::text[], $3::int[], $4::int[]) AS u(page_id, start, length)
     ON CONFLICT (day, page_id) DO UPDATE SET hll = excluded.hll`,
    [date, sketchIds, packed.starts, packed.lengths, packed.bytes],
  );
}
