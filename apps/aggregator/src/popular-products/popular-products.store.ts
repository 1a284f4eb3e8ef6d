import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PopularProduct, PopularProductsSnapshot } from './popular-products.snapshot';

/** The table (migration SalesAndPopularProducts). */
export const POPULAR_PRODUCTS = 'popular_products';

/** A snapshot as computed by a run, before it is stored. */
export interface ComputedSnapshot {
  readonly storeId: string;
  readonly products: readonly PopularProduct[];
  readonly contentHash: string;
}

/** A stored snapshot and whether its current content has been published. */
export interface StoredSnapshot extends PopularProductsSnapshot {
  readonly contentHash: string;
  readonly published: boolean;
}

/**
 * Content changes replace the snapshot and its `generated_at`; unchanged content keeps both, so
 * the row (and the message a re-run would republish) stays byte-identical. The WHERE makes an
 * unchanged store a no-op rather than a new row version.
 */
const UPSERT_SQL = `
  INSERT INTO ${POPULAR_PRODUCTS} (day, store_id, generated_at, products, content_hash)
  SELECT $1::date, u.store_id, $2::timestamptz, u.products, u.content_hash
  FROM unnest($3::text[], $4::jsonb[], $5::text[]) AS u(store_id, products, content_hash)
  ON CONFLICT (day, store_id) DO UPDATE
    SET products = EXCLUDED.products, content_hash = EXCLUDED.content_hash, generated_at = EXCLUDED.generated_at
    WHERE ${POPULAR_PRODUCTS}.content_hash <> EXCLUDED.content_hash`;

const SELECT_COLUMNS =
  "store_id, to_char(day, 'YYYY-MM-DD') AS day, generated_at, products, content_hash, " +
  'published_hash IS NOT DISTINCT FROM content_hash AS published';

const MARK_PUBLISHED_SQL = `
  UPDATE ${POPULAR_PRODUCTS} AS p
  SET published_hash = u.content_hash, published_event_id = u.event_id, published_at = now()
  FROM unnest($2::text[], $3::text[], $4::text[]) AS u(store_id, content_hash, event_id)
  WHERE p.day = $1::date AND p.store_id = u.store_id`;

interface Row {
  store_id: string;
  day: string;
  generated_at: Date;
  products: PopularProduct[];
  content_hash: string;
  published: boolean;
}

/** Reads and writes the daily snapshots and which content of each was published. */
@Injectable()
export class PopularProductsStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Stores a page of snapshots (one statement) and returns them as stored, in the given order. */
  async save(
    day: string,
    generatedAt: Date,
    snapshots: readonly ComputedSnapshot[],
  ): Promise<StoredSnapshot[]> {
    if (snapshots.length === 0) return [];
    const storeIds = snapshots.map((s) => s.storeId);
    await this.dataSource.query(UPSERT_SQL, [
      day,
      generatedAt.toISOString(),
      storeIds,
      snapshots.map((s) => JSON.stringify(s.products)),
      snapshots.map((s) => s.contentHash),
    ]);
    const rows = (await this.dataSource.query(
      `SELECT ${SELECT_COLUMNS} FROM ${POPULAR_PRODUCTS} WHERE day = $1 AND store_id = ANY($2::text[])`,
      [day, storeIds],
    )) as Row[];
    const byStore = new Map(rows.map((row) => [row.store_id, toStored(row)]));
    return storeIds.map((id) => byStore.get(id)!);
  }

  /** Records that these stores' current content went out under these event ids. */
  async markPublished(
    day: string,
    published: ReadonlyArray<{ storeId: string; contentHash: string; eventId: string }>,
  ): Promise<void> {
    if (published.length === 0) return;
    await this.dataSource.query(MARK_PUBLISHED_SQL, [
      day,
      published.map((p) => p.storeId),
      published.map((p) => p.contentHash),
      published.map((p) => p.eventId),
    ]);
  }

  /** One store's snapshot of a day, if the export has stored one. */
  async find(storeId: string, day: string): Promise<StoredSnapshot | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT ${SELECT_COLUMNS} FROM ${POPULAR_PRODUCTS} WHERE day = $1 AND store_id = $2`,
      [day, storeId],
    )) as Row[];
    return rows[0] && toStored(rows[0]);
  }
}

function toStored(row: Row): StoredSnapshot {
  return {
    storeId: row.store_id,
    date: row.day,
    generatedAt: new Date(row.generated_at).toISOString(),
    // jsonb orders keys its own way: rebuild each product in the contract's field order.
    products: row.products.map(({ rank, productId, quantity, amount }) => ({
      rank,
      productId,
      quantity,
      amount,
    })),
    contentHash: row.content_hash,
    published: row.published,
  };
}
