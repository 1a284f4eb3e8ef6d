/** What the page-view benchmarks read back from pv-counter's tables. */
import type { Client } from 'pg';

/** Where pv-counter keeps merged views per (day, page). */
export const PV_COUNTS_TABLE = 'page_views_daily';
/** Where pv-counter's flushes leave their views for the view merge into PV_COUNTS_TABLE. */
export const PV_VIEW_UPDATES = 'page_view_updates';
/** Where pv-counter's flushes leave their visitors for the sketch merge. */
export const PV_VISITOR_UPDATES = 'page_visitor_updates';

/**
 * pv-counter's views on `day` (every day when undefined): merged plus waiting views, the total
 * of page_views_live without its grouping per page, as the read API counts them.
 */
export async function viewsCounted(db: Client, day?: string): Promise<number> {
  const onDay = day === undefined ? '' : ' WHERE day = $1::date';
  const { rows } = await db.query<{ n: string }>(
    `SELECT CASE WHEN to_regclass('${PV_VIEW_UPDATES}') IS NULL THEN '0' ELSE (` +
      `(SELECT coalesce(sum(views), 0) FROM ${PV_COUNTS_TABLE}${onDay}) + ` +
      `(SELECT coalesce(sum(v), 0) FROM ${PV_VIEW_UPDATES} AS u, unnest(u.views) AS v${day === undefined ? '' : ' WHERE u.day = $1::date'}))::text END AS n`,
    day === undefined ? [] : [day],
  );
  return Number(rows[0].n);
}

/** Rows of flushed views and visitors that pv-counter has not merged yet. */
export async function updatesWaiting(db: Client): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT (SELECT count(*) FROM ${PV_VISITOR_UPDATES}) + (SELECT count(*) FROM ${PV_VIEW_UPDATES})::int AS n`,
  );
  return Number(rows[0].n);
}

/** Waits until pv-counter has merged every flushed view and visitor; the time it took, in ms. */
export async function mergesCaughtUp(
  db: Client,
  label: string,
  withinMs = 600_000,
): Promise<number> {
  const started = performance.now();
  const deadline = Date.now() + withinMs;
  while ((await updatesWaiting(db)) > 0) {
    if (Date.now() > deadline) throw new Error(`${label}: the merges did not catch up`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return performance.now() - started;
}
