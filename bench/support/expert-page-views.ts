/**
 * The expert's page-view counter: each batch's views summed per (day, page) in a Map, then one
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT DO UPDATE SET views = views + excluded.views` into
 * a table of its own (the key and fillfactor of page_views_daily). Views only, no uniques.
 */
import type { Client } from 'pg';
import type { ExpertSink } from './expert-consumer';

/** The expert's count table of the throughput and latency runs. */
export const EXPERT_PAGE_VIEWS_TABLE = 'expert_page_views';

/** The sink counting page views into `table`. */
export function expertPageViews(table: string): ExpertSink {
  return {
    tableSql:
      `CREATE TABLE IF NOT EXISTS ${table} (day date NOT NULL, page_id text NOT NULL, ` +
      `views bigint NOT NULL, PRIMARY KEY (day, page_id)) WITH (fillfactor = 70)`,
    statement(values) {
      const counts = new Map<string, number>();
      for (const value of values) {
        const view = JSON.parse(value.toString()) as { pageId: string; occurredAt: string };
        // occurredAt is ISO-8601 in UTC, so its first ten characters are the UTC day.
        const key = `${view.occurredAt.slice(0, 10)} ${view.pageId}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      const days: string[] = [];
      const pages: string[] = [];
      const views: number[] = [];
      for (const [key, n] of counts) {
        days.push(key.slice(0, 10));
        pages.push(key.slice(11));
        views.push(n);
      }
      return {
        text:
          `INSERT INTO ${table} AS t (page_id, day, views) ` +
          `SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[]) ` +
          `ON CONFLICT (day, page_id) DO UPDATE SET views = t.views + excluded.views`,
        values: [pages, days, views],
      };
    },
  };
}

/** The views counted in `table` on `day`, or on every day. */
export async function expertViews(db: Client, table: string, day?: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(
    `SELECT coalesce(sum(views), 0)::text AS n FROM ${table}${day === undefined ? '' : ' WHERE day = $1::date'}`,
    day === undefined ? [] : [day],
  );
  return Number(rows[0].n);
}
