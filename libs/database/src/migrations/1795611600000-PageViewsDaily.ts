import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Daily page views (pv-counter): one row per (UTC day, page) with the exact view count and a
 * HyperLogLog sketch of its visitors (bytes written by the app, see apps/pv-counter/src/hll).
 *
 * Built for HOT (heap-only tuple) updates, because every flush rewrites the rows of the pages
 * viewed since the last one, all day long:
 * - The only index is the primary key, on columns that never change. An UPDATE that touches no
 *   indexed column and finds room on the row's own page is HOT: no new index entries, and the old
 *   version is pruned on the page without VACUUM. An index on `views` (or `hll`) would make every
 *   update non-HOT and double the write and vacuum work.
 * - `fillfactor = 70` leaves 30 % of each page free at insert time, so new row versions fit on
 *   the same page.
 *
 * Top pages of a day (`ORDER BY views DESC`) therefore have no index of their own: the query reads
 * the day's rows through the primary key's `day` prefix (an index range scan of one day) and sorts
 * them (a top-N heap sort with LIMIT). That costs a read proportional to the pages viewed that day,
 * which is the right trade for a table that is written far more often than its top list is read;
 * an index on (day, views) would be faster to read but would turn every count update non-HOT.
 */
export class PageViewsDaily1795611600000 implements MigrationInterface {
  name = 'PageViewsDaily1795611600000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE page_views_daily (
        day     date   NOT NULL,
        page_id text   NOT NULL,
        views   bigint NOT NULL,
        hll     bytea,
        PRIMARY KEY (day, page_id)
      ) WITH (fillfactor = 70)`);
    await runner.query(
      "COMMENT ON TABLE page_views_daily IS 'pv-counter: views and a HyperLogLog of visitors per UTC day and page. " +
        "Only the primary key is indexed and fillfactor is 70 so count updates stay HOT; top pages scan one day by the key and sort.'",
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE page_views_daily');
  }
}
