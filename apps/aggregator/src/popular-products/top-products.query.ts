import type { DataSource } from 'typeorm';
import { SALES_DAILY } from './daily-sales.writer';
import type { PopularProduct } from './popular-products.snapshot';

/** One page of stores, each with its top products, in store order. */
export interface StorePage {
  readonly stores: ReadonlyArray<{ readonly storeId: string; readonly products: PopularProduct[] }>;
  /** The last store of the page: the next page starts after it. Undefined for an empty page. */
  readonly last?: string;
}

/**
 * The next `pageSize` stores of the day after `after` (keyset: `store_id > after`, along the
 * primary key's (day, store_id) prefix, so page k costs the same as page 1), and in the same
 * query the top `topN` products of each, ranked by quantity desc, amount desc, then product id in
 * byte order (`COLLATE "C"`, independent of the database's locale): a total order, so a ranking
 * is reproducible and a re-run computes the same snapshot from the same sales.
 */
const PAGE_SQL = `
  WITH page AS (
    SELECT DISTINCT store_id FROM ${SALES_DAILY}
    WHERE day = $1 AND ($2::text IS NULL OR store_id > $2)
    ORDER BY store_id
    LIMIT $3
  ), ranked AS (
    SELECT s.store_id, s.product_id, s.quantity, s.amount,
           row_number() OVER (
             PARTITION BY s.store_id
             ORDER BY s.quantity DESC, s.amount DESC, s.product_id COLLATE "C" ASC
           ) AS rank
    FROM ${SALES_DAILY} s JOIN page USING (store_id)
    WHERE s.day = $1
  )
  SELECT store_id, product_id, quantity::text AS quantity, amount::text AS amount, rank::int AS rank
  FROM ranked WHERE rank <= $4
  ORDER BY store_id, rank`;

interface Row {
  store_id: string;
  product_id: string;
  quantity: string;
  amount: string;
  rank: number;
}

/** Reads one page of stores with their top-N products (one query). */
export async function readStorePage(
  dataSource: DataSource,
  day: string,
  after: string | undefined,
  pageSize: number,
  topN: number,
): Promise<StorePage> {
  const rows = (await dataSource.query(PAGE_SQL, [day, after ?? null, pageSize, topN])) as Row[];
  const stores: Array<{ storeId: string; products: PopularProduct[] }> = [];
  for (const row of rows) {
    let store = stores[stores.length - 1];
    if (store === undefined || store.storeId !== row.store_id)
      stores.push((store = { storeId: row.store_id, products: [] }));
    store.products.push({
      rank: Number(row.rank),
      productId: row.product_id,
      quantity: Number(row.quantity),
      amount: Number(row.amount),
    });
  }
  return { stores, last: stores[stores.length - 1]?.storeId };
}
