import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { HyperLogLog } from '../hll/hyperloglog';
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

/** Reads `page_views_daily`; unique visitors are estimated from the stored sketch. */
@Injectable()
export class PageViewsQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** One page's day; zeros when it had no views. */
  async ofPage(pageId: string, date: string): Promise<PageViewsOfDay> {
    const rows = (await this.dataSource.query(
      `SELECT page_id, views::text AS views, hll FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 AND page_id = $2`,
      [date, pageId],
    )) as Row[];
    const row = rows[0];
    return { pageId, date, views: row ? Number(row.views) : 0, uniqueVisitors: row ? uniques(row.hll) : 0 };
  }

  /**
   * The day's most viewed pages. No index orders by views (it would make count updates non-HOT,
   * see the migration): PostgreSQL reads the day's rows by the primary key's `day` prefix and
   * keeps the top `limit` in a bounded heap sort. Ties are broken by page id for a stable order.
   */
  async top(date: string, limit: number): Promise<TopPages> {
    const rows = (await this.dataSource.query(
      `SELECT page_id, views::text AS views, hll FROM ${PAGE_VIEWS_DAILY} ` +
        `WHERE day = $1 ORDER BY ${PAGE_VIEWS_DAILY}.views DESC, page_id LIMIT $2`,
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
