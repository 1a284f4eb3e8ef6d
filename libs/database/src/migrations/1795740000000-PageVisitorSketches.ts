import type { MigrationInterface, QueryRunner } from 'typeorm';
import { lz4Available } from './lz4-available';

/**
 * Moves pv-counter's HyperLogLog sketches out of `page_views_daily` into `page_visitors_daily`,
 * and adds `page_visitor_updates`, where each flush leaves its visitors for the sketch merge.
 *
 * Why: a sketch merge is idempotent (a visitor added twice changes nothing), a view count is not.
 * So only the counts must be written in the flush transaction with the Kafka offsets and the
 * claimed event ids; the flush records its visitors as one row of packed register updates, in
 * the same transaction (nothing is lost in a crash), and a separate merge folds those rows into
 * the sketches about once a second. The flush then neither reads nor rewrites sketches (a busy
 * page's is 16 KiB), and a sketch is rewritten once per merge instead of once per flush.
 *
 * `page_views_daily` keeps only the count, so its rows are small and its updates stay HOT.
 * `page_visitors_daily` is built the same way (only the key indexed, fillfactor 70), with LZ4
 * for the sketch where the server has it (see PageViewsSketchCompression).
 * `page_visitor_updates` holds short-lived rows: EXTERNAL storage skips compressing packed
 * register updates, which barely compress.
 */
export class PageVisitorSketches1795740000000 implements MigrationInterface {
  name = 'PageVisitorSketches1795740000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE page_visitors_daily (
        day     date  NOT NULL,
        page_id text  NOT NULL,
        hll     bytea NOT NULL,
        PRIMARY KEY (day, page_id)
      ) WITH (fillfactor = 70)`);
    if (await lz4Available(runner)) {
      await runner.query('ALTER TABLE page_visitors_daily ALTER COLUMN hll SET COMPRESSION lz4');
    }
    await runner.query(
      "COMMENT ON TABLE page_visitors_daily IS 'pv-counter: a HyperLogLog of visitors per UTC day and page, " +
        "merged from page_visitor_updates. Only the primary key is indexed so sketch updates stay HOT.'",
    );
    await runner.query(`
      CREATE TABLE page_visitor_updates (
        id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        updates bytea  NOT NULL
      )`);
    await runner.query(
      'ALTER TABLE page_visitor_updates ALTER COLUMN updates SET STORAGE EXTERNAL',
    );
    await runner.query(
      "COMMENT ON TABLE page_visitor_updates IS 'pv-counter: visitors of one flush (packed HyperLogLog register " +
        "updates per day and page), waiting to be merged into page_visitors_daily.'",
    );
    await runner.query(
      'INSERT INTO page_visitors_daily (day, page_id, hll) SELECT day, page_id, hll FROM page_views_daily WHERE hll IS NOT NULL',
    );
    await runner.query('ALTER TABLE page_views_daily DROP COLUMN hll');
  }

  /** Updates not merged yet are lost by going back: merge first (stop pv-counter gracefully). */
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE page_views_daily ADD COLUMN hll bytea');
    if (await lz4Available(runner)) {
      await runner.query('ALTER TABLE page_views_daily ALTER COLUMN hll SET COMPRESSION lz4');
    }
    await runner.query(
      'UPDATE page_views_daily AS v SET hll = s.hll FROM page_visitors_daily AS s WHERE s.day = v.day AND s.page_id = v.page_id',
    );
    await runner.query('DROP TABLE page_visitor_updates');
    await runner.query('DROP TABLE page_visitors_daily');
  }
}
