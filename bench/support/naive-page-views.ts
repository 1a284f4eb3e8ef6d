/**
 * The naive baseline of the `pv-counter` benchmark: a raw kafkajs consumer whose `eachMessage`
 * awaits one autocommitted `INSERT … ON CONFLICT DO UPDATE SET views = views + 1` per page view
 * (kafkajs's default: one partition at a time, auto offset commit). It counts views only: the
 * naive way to count uniques (a second statement per view into a (day, page, visitor) set table)
 * would make it slower still, so leaving it out favours the baseline.
 */
import { timeNaiveListener } from './naive-listener';

/** The naive table: the same key as page_views_daily, PostgreSQL's default fillfactor. */
export const NAIVE_PAGE_VIEWS_TABLE = 'naive_page_views';

/** Reads the first `limit` records of `topic` from the beginning; resolves with first-to-last ms. */
export function runNaivePageViews(
  brokers: string,
  topic: string,
  databaseUrl: string,
  limit: number,
): Promise<number> {
  return timeNaiveListener({
    brokers,
    topic,
    databaseUrl,
    clientId: 'naive-page-views',
    groupId: `naive-pv-${Date.now()}`,
    tableSql: `CREATE TABLE IF NOT EXISTS ${NAIVE_PAGE_VIEWS_TABLE} (day date NOT NULL, page_id text NOT NULL, views bigint NOT NULL, PRIMARY KEY (day, page_id))`,
    limit,
    apply: (db, value) => {
      const view = JSON.parse(value.toString()) as { pageId: string; occurredAt: string };
      return db.query(
        `INSERT INTO ${NAIVE_PAGE_VIEWS_TABLE} (day, page_id, views) VALUES ($1::timestamptz::date, $2, 1) ` +
          `ON CONFLICT (day, page_id) DO UPDATE SET views = ${NAIVE_PAGE_VIEWS_TABLE}.views + 1`,
        [view.occurredAt, view.pageId],
      );
    },
  });
}
