import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HyperLogLog } from '../hll/hyperloglog';
import { PAGE_VISITORS_DAILY } from '../sketches/visitor-sketches.writer';
import { PAGE_VIEWS_DAILY } from './daily-views.writer';

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

/** The count and the sketch of a day's pages (the sketch is merged about once a second, see VisitorSketchMerger). */
const PAGES_OF_DAY =
  `SELECT v.page_id, v.views::text AS views, s.hll FROM ${PAGE_VIEWS_DAILY} AS v ` +
  `LEFT JOIN ${PAGE_VISITORS_DAILY} AS s ON s.day = v.day AND s.page_id = v.page_id WHERE v.day = $1`;

/**
 * Reads `page_views_daily` and `page_visitors_daily`; unique visitors are estimated from the
 * stored sketch, which trails the views by up to SKETCH_MERGE_INTERVAL_MS.
 */
@Injectable()
export class PageViewsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** One page's day; zeros when it had no views. */
  async ofPage(pageId: string, date: string): Promise<PageViewsOfDay> {
    const rows = (await this.dataSource.query(
      `${PAGES_OF_DAY} AND v.page_id = $2`,
      [date, pageId],
    )) as Row[];
    const row = rows[0];
    return { pageId, date, views: row ? Number(row.views) : 0, uniqueVisitors: row ? uniques(row.hll) : 0 };
  }

  /**
   * The day's most viewed pages. No index orders by views (it would make count updates non-HOT,
   * see the migration): PostgreSQL reads the day's rows by the primary key's `day` prefix and
   * keeps the top `limit` in a bounded heap sort; only those are joined with their sketches. Ties
   * are broken by page id for a stable order.
   */
  async top(date: string, limit: number): Promise<TopPages> {
    const rows = (await this.dataSource.query(
      `SELECT v.page_id, v.views::text AS views, s.hll FROM (` +
        `SELECT day, page_id, views FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 ORDER BY views DESC, page_id LIMIT $2) AS v ` +
        `LEFT JOIN ${PAGE_VISITORS_DAILY} AS s ON s.day = v.day AND s.page_id = v.page_id ORDER BY v.views DESC, v.page_id`,
      [date, limit],
    )) as Row[];
    return {
      date,
      pages: rows.map((row) => ({ pageId: row.page_id, views: Number(row.views), uniqueVisitors: uniques(row.hll) })),
    };
  }
}

function uniques(hll: Buffer | null): number {
  return hll === null ? 0 : HyperLogLog.fromBytes(hll).estimate();
}
