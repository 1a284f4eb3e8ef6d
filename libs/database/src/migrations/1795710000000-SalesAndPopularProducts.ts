import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sales per (UTC day, store, product) and the daily popular-products snapshots (aggregator).
 *
 * `sales_daily` is rewritten by every flush (every 15 ms under load) for the keys sold since the
 * last one, so it is built like `page_views_daily`: the primary key is its only index, on columns
 * that never change, and `fillfactor = 70` leaves room on each page, so the `quantity`/`amount`
 * updates are HOT (no index entries, pruned without VACUUM). The export reads one day's stores
 * in keyset pages through the key's (day, store_id) prefix and ranks each store's products with a
 * window function; an index on quantity would make every count update non-HOT.
 *
 * `popular_products` holds one snapshot per (day, store): the ranked top-N as JSON, a hash of that
 * content, and the hash last published. A store is published when its content hash differs from
 * its published hash, so a re-run after a failure publishes only what was not published yet, and
 * a republished snapshot has the same content and therefore the same eventId. Updates touch no
 * indexed column (HOT as well).
 */
export class SalesAndPopularProducts1795710000000 implements MigrationInterface {
  name = 'SalesAndPopularProducts1795710000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE sales_daily (
        day        date    NOT NULL,
        store_id   text    NOT NULL,
        product_id text    NOT NULL,
        quantity   bigint  NOT NULL,
        amount     numeric NOT NULL,
        PRIMARY KEY (day, store_id, product_id)
      ) WITH (fillfactor = 70)`);
    await runner.query(
      "COMMENT ON TABLE sales_daily IS 'aggregator: quantity and amount sold per UTC day, store and product. " +
        "Only the primary key is indexed and fillfactor is 70 so flush updates stay HOT.'",
    );
    await runner.query(`
      CREATE TABLE popular_products (
        day                date        NOT NULL,
        store_id           text        NOT NULL,
        generated_at       timestamptz NOT NULL,
        products           jsonb       NOT NULL,
        content_hash       text        NOT NULL,
        published_hash     text,
        published_event_id text,
        published_at       timestamptz,
        PRIMARY KEY (day, store_id)
      ) WITH (fillfactor = 70)`);
    await runner.query(
      "COMMENT ON TABLE popular_products IS 'aggregator: top products per UTC day and store as last exported. " +
        "published_hash = content_hash once this content was published to the popular-products stream.'",
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE popular_products');
    await runner.query('DROP TABLE sales_daily');
  }
}
