import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HyperLogLog } from '../hll/hyperloglog';
import { PAGE_VISITORS_DAILY } from '../sketches/visitor-sketches.writer';
import { PAGE_VIEW_UPDATES, PAGE_VIEWS_DAILY } from '../view-counts/view-updates.store';

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
 * One page's day: the merged count plus its waiting views (one statement, so one snapshot: a
 * row of page_view_updates is either still waiting or already in page_views_daily, never both),
 * and its sketch.
 */
const ONE_PAGE =
  `SELECT ((SELECT coalesce(sum(views), 0) FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 AND page_id = $2) + ` +
  `(SELECT coalesce(sum(u.views[array_position(u.page_ids, $2)]), 0) FROM ${PAGE_VIEW_UPDATES} AS u WHERE u.day = $1))::text AS views, ` +
  `(SELECT hll FROM ${PAGE_VISITORS_DAILY} WHERE day = $1 AND page_id = $2) AS hll`;

/**
 * The day's top pages. No index orders by views (it would make count updates non-HOT, see the
 * migration), so PostgreSQL reads the day's merged rows by the primary key's `day` prefix and
 * keeps the top `limit` in a bounded heap sort. A page outside those that has no waiting views
 * cannot outrank them, so the candidates are those plus the pages with waiting views; their
 * totals are ranked, and only the winners are joined with their sketches. Ties are broken by
 * page id for a stable order.
 */
const TOP_PAGES =
  `WITH waiting AS (SELECT x.page_id, sum(x.views) AS views FROM ${PAGE_VIEW_UPDATES} AS u, ` +
  'unnest(u.page_ids, u.views) AS x(page_id, views) WHERE u.day = $1 GROUP BY x.page_id), ' +
  `candidates AS (SELECT page_id FROM (SELECT page_id FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 ` +
  'ORDER BY views DESC, page_id LIMIT $2) AS merged UNION SELECT page_id FROM waiting), ' +
  'ranked AS (SELECT c.page_id, coalesce(d.views, 0) + coalesce(w.views, 0) AS views FROM candidates AS c ' +
  `LEFT JOIN ${PAGE_VIEWS_DAILY} AS d ON d.day = $1 AND d.page_id = c.page_id ` +
  'LEFT JOIN waiting AS w ON w.page_id = c.page_id ORDER BY 2 DESC, 1 LIMIT $2) ' +
  `SELECT r.page_id, r.views::text AS views, s.hll FROM ranked AS r LEFT JOIN ${PAGE_VISITORS_DAILY} AS s ` +
  'ON s.day = $1 AND s.page_id = r.page_id ORDER BY r.views DESC, r.page_id';

/**
 * Reads the counts (`page_views_daily` plus the views of `page_view_updates` not merged yet) and
 * the sketches of `page_visitors_daily`; unique visitors are estimated from the stored sketch,
 * which trails the views by up to SKETCH_MERGE_INTERVAL_MS.
 */
@Injectable()
export class PageViewsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** One page's day; zeros when it had no views. */
  async ofPage(pageId: string, date: string): Promise<PageViewsOfDay> {
    const rows = (await this.dataSource.query(ONE_PAGE, [date, pageId])) as Row[];
    const row = rows[0];
    return { pageId, date, views: Number(row.views), uniqueVisitors: uniques(row.hll) };
  }

  /** The day's most viewed pages, most viewed first (see TOP_PAGES). */
  async top(date: string, limit: number): Promise<TopPages> {
    const rows = (await this.dataSource.query(TOP_PAGES, [date, limit])) as Row[];
    return {
      date,
      pages: rows.map((row) => ({ pageId: row.page_id, views: Number(row.views), uniqueVisitors: uniques(row.hll) })),
    };
  }
}

function uniques(hll: Buffer | null): number {
  return hll === null ? 0 : HyperLogLog.fromBytes(hll).estimate();
}
