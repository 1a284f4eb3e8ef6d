import type { QueryRunner } from 'typeorm';
import { appendVisitorUpdates } from '../sketches/visitor-updates.store';
import type { VisitorUpdates } from '../sketches/visitor-updates.codec';
import { trailUpdates, type DailyPageViews } from './daily-views';

/** The count table (migrations PageViewsDaily and PageVisitorSketches). */
export const PAGE_VIEWS_DAILY = 'page_views_daily';

/**
 * Adds the flush's views per key: one row version per key, inserted or updated. The count is the
 * only column an update changes and it is not indexed, so updates are HOT (see the migration).
 */
const ADD_VIEWS =
  `INSERT INTO ${PAGE_VIEWS_DAILY} AS t (day, page_id, views) ` +
  'SELECT u.day, u.page_id, u.views FROM unnest($1::date[], $2::text[], $3::bigint[]) AS u(day, page_id, views) ' +
  'ON CONFLICT (day, page_id) DO UPDATE SET views = t.views + excluded.views';

/**
 * Writes one flush inside its transaction (the work queue's BatchWriter, with the offsets and the
 * claimed event ids): the views are added by one upsert in key order, and the visitors are
 * recorded as one row of `page_visitor_updates` for the sketch merge (VisitorSketchMerger).
 *
 * Why the visitors wait: merging into a sketch is idempotent, adding views is not. Only the views
 * need the flush's exactly-once transaction; the visitors only need to be durable by the time the
 * offsets are, which their row in the same transaction is. The flush then neither reads, locks nor
 * rewrites sketches (a busy page's is 16 KiB and changed in nearly every flush), which kept the
 * flush about a third longer, and a sketch is rewritten once per merge instead of once per flush.
 *
 * The batch comes in key order (the work queue sorts it), so two instances upserting overlapping
 * pages lock their rows in the same order and wait for each other instead of deadlocking.
 */
export async function writeDailyViews(
  runner: QueryRunner,
  batch: readonly DailyPageViews[],
): Promise<void> {
  if (batch.length === 0) return;
  const days = new Array<string>(batch.length);
  const pages = new Array<string>(batch.length);
  const views = new Array<string>(batch.length);
  const visitors: VisitorUpdates[] = [];
  for (let i = 0; i < batch.length; i++) {
    const row = batch[i];
    days[i] = row.day;
    pages[i] = row.pageId;
    views[i] = String(row.views);
    if (row.visitors !== undefined)
      visitors.push({ day: row.day, pageId: row.pageId, updates: trailUpdates(row.visitors) });
  }
  await runner.query(ADD_VIEWS, [days, pages, views]);
  await appendVisitorUpdates(runner, visitors);
}
