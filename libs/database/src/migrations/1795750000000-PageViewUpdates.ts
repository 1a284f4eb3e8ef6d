import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Adds `page_view_updates`, where each pv-counter flush leaves its views (one row per UTC day of
 * the flush: the pages in key order and their counts), and the view `page_views_live`, the counts
 * as the read API sees them: `page_views_daily` plus the views still waiting there.
 *
 * Why: the flush used to upsert every page it saw into `page_views_daily`, one row version per
 * page per flush, ten flushes a second. Now it inserts one row and a periodic merge
 * (ViewCountMerger, VIEW_MERGE_INTERVAL_MS) adds the waiting views to `page_views_daily` in one
 * statement, one row version per page per merge. The counting table's write rate is then set by
 * the pages seen per merge interval, not by the view rate, so it does not grow with the peak.
 * Reads add the waiting views (a statement sees a row either waiting or merged, never both), so
 * a view is visible as soon as its flush commits.
 *
 * The arrays are stored uncompressed (EXTERNAL): rows live for one merge interval and are read by
 * every count query of their day, which would otherwise decompress them each time.
 *
 * `page_views_daily` and `page_visitors_daily` get `fillfactor = 40` (was 70): a merge rewrites
 * every row of a shard at once, and a table page holds mostly rows of one shard (a merge inserts
 * them together), so nearly all of a page's rows get a new version in one statement. At 70 only
 * about a third of those fit on the page and the rest were not HOT (76 % HOT in the bench); at 40
 * they all fit (100 %). The rows are small (a count, or a TOAST pointer for a dense sketch), so
 * the tables grow by about 40 %. Pages written before keep their layout until rewritten.
 *
 * Both update tables get a `shard` (pv-counter's shardOf(page id)): a flush writes one row per
 * shard, the merges take one shard per tick, and a read of one page reads only its shard's rows.
 * Visitor rows written before this migration hold every shard; they are marked shard 0, merged
 * with it (a sketch merge does not care which rows a page's visitors come in).
 */
export class PageViewUpdates1795750000000 implements MigrationInterface {
  name = 'PageViewUpdates1795750000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE page_view_updates (
        id       bigint   GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        day      date     NOT NULL,
        shard    smallint NOT NULL,
        page_ids text[]   NOT NULL,
        views    bigint[] NOT NULL,
        CHECK (cardinality(page_ids) = cardinality(views))
      )`);
    await runner.query('ALTER TABLE page_view_updates ALTER COLUMN page_ids SET STORAGE EXTERNAL');
    await runner.query('ALTER TABLE page_view_updates ALTER COLUMN views SET STORAGE EXTERNAL');
    await runner.query(
      "COMMENT ON TABLE page_view_updates IS 'pv-counter: views of one flush and UTC day (page ids in key order, " +
        "their counts), waiting to be added to page_views_daily; page_views_live adds them for readers.'",
    );
    await runner.query('ALTER TABLE page_views_daily SET (fillfactor = 40)');
    await runner.query('ALTER TABLE page_visitors_daily SET (fillfactor = 40)');
    await runner.query(
      'ALTER TABLE page_visitor_updates ADD COLUMN shard smallint NOT NULL DEFAULT 0',
    );
    await runner.query('ALTER TABLE page_visitor_updates ALTER COLUMN shard DROP DEFAULT');
    await runner.query(`
      CREATE VIEW page_views_live AS
      SELECT day, page_id, sum(views)::bigint AS views FROM (
        SELECT day, page_id, views FROM page_views_daily
        UNION ALL
        SELECT u.day, x.page_id, x.views
          FROM page_view_updates AS u, unnest(u.page_ids, u.views) AS x(page_id, views)
      ) AS counted
      GROUP BY day, page_id`);
    await runner.query(
      "COMMENT ON VIEW page_views_live IS 'pv-counter: views per UTC day and page, merged (page_views_daily) " +
        "and waiting (page_view_updates).'",
    );
  }

  /** Adds the views still waiting to `page_views_daily` first, so none are lost. */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`
      INSERT INTO page_views_daily AS t (day, page_id, views)
      SELECT u.day, x.page_id, sum(x.views)
        FROM page_view_updates AS u, unnest(u.page_ids, u.views) AS x(page_id, views)
       GROUP BY u.day, x.page_id
      ON CONFLICT (day, page_id) DO UPDATE SET views = t.views + excluded.views`);
    await runner.query('DROP VIEW page_views_live');
    await runner.query('DROP TABLE page_view_updates');
    await runner.query('ALTER TABLE page_visitor_updates DROP COLUMN shard');
    await runner.query('ALTER TABLE page_visitors_daily SET (fillfactor = 70)');
    await runner.query('ALTER TABLE page_views_daily SET (fillfactor = 70)');
  }
}
