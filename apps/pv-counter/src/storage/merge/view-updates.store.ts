import type { QueryRunner } from 'typeorm';
import { groupByShard, shardOf } from './merge-shards';

/** The merged counts (migrations PageViewsDaily, PageVisitorSketches). */
export const PAGE_VIEWS_DAILY = 'page_views_daily';
/** Views flushed and not merged yet: one row per flush, UTC day and shard (migration PageViewUpdates). */
export const PAGE_VIEW_UPDATES = 'page_view_updates';
/** Merged plus waiting views per day and page, as readers should see them (migration PageViewUpdates). */
export const PAGE_VIEWS_LIVE = 'page_views_live';

/** One flush's views of one page. */
export interface ViewUpdate {
  readonly day: string;
  readonly pageId: string;
  readonly views: number;
}

/** Rows per INSERT statement (four parameters each, far below PostgreSQL's 65 535). */
const ROWS_PER_STATEMENT = 1_000;

/**
 * Records a flush's views in `page_view_updates`, in the flush's transaction: one row per UTC day
 * and shard (shardOf the page id) with the page ids and counts as arrays, in the order given
 * (the work queue's key order, which the merge's upsert keeps). One row version per day and
 * shard instead of one per page. `shards[i]` is update i's shard, when the caller has it already.
 */
export async function appendViewUpdates(
  runner: QueryRunner,
  updates: readonly ViewUpdate[],
  shards: readonly number[] = updates.map((update) => shardOf(update.pageId)),
): Promise<void> {
  const rows: unknown[][] = [];
  for (let i = 0; i < updates.length;) {
    const day = updates[i].day;
    let end = i;
    while (end < updates.length && updates[end].day === day) end++;
    groupByShard(updates, shards, i, end).forEach((list, shard) => {
      if (list.length > 0)
        rows.push([day, shard, list.map((u) => u.pageId), list.map((u) => String(u.views))]);
    });
    i = end;
  }
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const values = chunk.map(
      (_, j) =>
        `($${4 * j + 1}::date, $${4 * j + 2}::smallint, $${4 * j + 3}::text[], $${4 * j + 4}::bigint[])`,
    );
    await runner.query(
      `INSERT INTO ${PAGE_VIEW_UPDATES} (day, shard, page_ids, views) VALUES ${values.join(', ')}`,
      chunk.flat(),
    );
  }
}

/** What one merge transaction did. */
export interface ViewMergeResult {
  /** Rows of page_view_updates merged (and deleted). */
  readonly rows: number;
  /** Rows of page_views_daily inserted or updated. */
  readonly keys: number;
  /** Rows the transaction could have taken but left for the next (over `maxPages`). */
  readonly left: number;
}

/**
 * Deletes the waiting rows and adds their views to `page_views_daily` in the same statement:
 * summed per day and page first, so a page gets one row version per merge however many flushes
 * saw it. Upserted in (day, page_id) order, so two instances merging overlapping pages lock them
 * in the same order and wait for each other instead of deadlocking.
 */
const MERGE_ROWS =
  `WITH taken AS (DELETE FROM ${PAGE_VIEW_UPDATES} WHERE id = ANY($1::bigint[]) RETURNING day, page_ids, views), ` +
  `added AS (INSERT INTO ${PAGE_VIEWS_DAILY} AS t (day, page_id, views) ` +
  'SELECT taken.day, x.page_id, sum(x.views) FROM taken, unnest(taken.page_ids, taken.views) AS x(page_id, views) ' +
  'GROUP BY taken.day, x.page_id ORDER BY taken.day, x.page_id ' +
  'ON CONFLICT (day, page_id) DO UPDATE SET views = t.views + excluded.views RETURNING 1) ' +
  'SELECT count(*)::int AS keys FROM added';

/**
 * One merge, in the caller's transaction: takes the oldest waiting rows (of `shard`, or of every
 * shard) not locked by another instance's merge (SKIP LOCKED), at most `maxRows` and, past the
 * first, at most `maxPages` page entries in all, and merges them. The rows over `maxPages` stay
 * locked until the transaction ends, untouched.
 */
export async function mergeViewUpdates(
  runner: QueryRunner,
  maxRows: number,
  maxPages: number,
  shard?: number,
): Promise<ViewMergeResult> {
  const waiting = (await runner.query(
    `SELECT id::text AS id, cardinality(page_ids) AS pages FROM ${PAGE_VIEW_UPDATES}
      WHERE $2::smallint IS NULL OR shard = $2 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [maxRows, shard ?? null],
  )) as Array<{ id: string; pages: number }>;
  const ids: string[] = [];
  let pages = 0;
  for (const row of waiting) {
    if (ids.length > 0 && pages + row.pages > maxPages) break;
    ids.push(row.id);
    pages += row.pages;
  }
  if (ids.length === 0) return { rows: 0, keys: 0, left: 0 };
  const merged = (await runner.query(MERGE_ROWS, [ids])) as Array<{ keys: number }>;
  return { rows: ids.length, keys: merged[0].keys, left: waiting.length - ids.length };
}
