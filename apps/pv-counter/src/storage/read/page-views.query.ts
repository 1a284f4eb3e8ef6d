import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HyperLogLog } from '../hll/hyperloglog';
import { shardOf } from '../merge/merge-shards';
import { PAGE_VISITORS_DAILY } from '../merge/visitor-sketches.writer';
import { PAGE_VIEW_UPDATES, PAGE_VIEWS_DAILY } from '../merge/view-updates.store';

export interface PageViewsOfDay {
  readonly pageId: string;
  readonly date: string;
  readonly views: number;
  readonly uniqueVisitors: number;
}

export interface TopPages {
  readonly date: string;
  readonly pages: Array<{ pageId: string; views: number; uniqueVisitors: number }>;
}

interface Row {
  page_id: string;
  views: string;
  hll: Buffer | null;
}

/**
 * One page's day: the merged count plus its waiting views, looked up in the waiting rows of its
 * day and shard only (one statement, so one snapshot: a row of page_view_updates is either still
 * waiting or already in page_views_daily, never both), and its sketch.
 */
const ONE_PAGE =
  `SELECT ((SELECT coalesce(sum(views), 0) FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 AND page_id = $2) + ` +
  `(SELECT coalesce(sum(u.views[array_position(u.page_ids, $2)]), 0) FROM ${PAGE_VIEW_UPDATES} AS u WHERE u.day = $1 AND u.shard = $3))::text AS views, ` +
  `(SELECT hll FROM ${PAGE_VISITORS_DAILY} WHERE day = $1 AND page_id = $2) AS hll`;

/**
 * The day's top pages, most viewed first, ties broken by page id for a stable order; only the
 * winners are joined with their sketches. No index orders by views (it would make count updates
 * non-HOT, see the migration), so PostgreSQL reads the day's merged rows by the primary key's
 * `day` prefix and keeps the top `limit` in a bounded heap sort. When views of the day are
 * waiting (the current day, nearly always), they are summed per page and added to the merged rows
 * in one hash join first; probing the primary key once per waiting page instead cost several
 * times more with a busy interval's worth waiting. The `EXISTS` conditions are evaluated once,
 * so only one of the two branches runs, in the statement's single snapshot.
 */
const TOP_PAGES =
  `WITH waiting AS MATERIALIZED (SELECT x.page_id, sum(x.views)::bigint AS views FROM ${PAGE_VIEW_UPDATES} AS u, ` +
  'unnest(u.page_ids, u.views) AS x(page_id, views) WHERE u.day = $1 GROUP BY x.page_id), ' +
  `ranked AS ((SELECT page_id, views FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 AND NOT EXISTS (SELECT 1 FROM waiting) ` +
  'ORDER BY views DESC, page_id LIMIT $2) UNION ALL ' +
  '(SELECT coalesce(d.page_id, w.page_id), coalesce(d.views, 0) + coalesce(w.views, 0) ' +
  `FROM (SELECT page_id, views FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 AND EXISTS (SELECT 1 FROM waiting)) AS d ` +
  'FULL JOIN waiting AS w ON w.page_id = d.page_id ORDER BY 2 DESC, 1 LIMIT $2)) ' +
  `SELECT r.page_id, r.views::text AS views, s.hll FROM ranked AS r LEFT JOIN ${PAGE_VISITORS_DAILY} AS s ` +
  'ON s.day = $1 AND s.page_id = r.page_id ORDER BY r.views DESC, r.page_id';

/**
 * Reads the counts (`page_views_daily` plus the views of `page_view_updates` not merged yet) and
 * the sketches of `page_visitors_daily`; unique visitors are counted from the stored sketch
 * (exactly up to EXACT_LIMIT, estimated beyond), which trails the views by up to
 * SKETCH_MERGE_INTERVAL_MS.
 */
@Injectable()
export class PageViewsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** One page's day; zeros when it had no views. */
  async ofPage(pageId: string, date: string): Promise<PageViewsOfDay> {
    const rows = (await this.dataSource.query(ONE_PAGE, [date, pageId, shardOf(pageId)])) as Row[];
    const row = rows[0];
    return { pageId, date, views: Number(row.views), uniqueVisitors: uniques(row.hll) };
  }

  /** The day's most viewed pages, most viewed first (see TOP_PAGES). */
  async top(date: string, limit: number): Promise<TopPages> {
    const rows = (await this.dataSource.query(TOP_PAGES, [date, limit])) as Row[];
    return {
      date,
      pages: rows.map((row) => ({
        pageId: row.page_id,
        views: Number(row.views),
        uniqueVisitors: uniques(row.hll),
      })),
    };
  }
}

function uniques(hll: Buffer | null): number {
  return hll === null ? 0 : HyperLogLog.estimateOf(hll);
}
