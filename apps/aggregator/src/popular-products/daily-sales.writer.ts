import { unnestUpsert } from '@lib/work-queue';
import type { QueryRunner } from 'typeorm';
import type { DailySales } from './daily-sales';
import { decimalText } from './decimal-sum';

/** The table (migration SalesAndPopularProducts). */
export const SALES_DAILY = 'sales_daily';

/** Adds quantity and amount per (day, store, product) in one multi-row statement. */
const upsertSales = unnestUpsert<DailySales>({
  table: SALES_DAILY,
  columns: [
    { name: 'day', type: 'date', value: (row) => row.day },
    { name: 'store_id', type: 'text', value: (row) => row.storeId },
    { name: 'product_id', type: 'text', value: (row) => row.productId },
    { name: 'quantity', type: 'bigint', value: (row) => String(row.quantity) },
    { name: 'amount', type: 'numeric', value: (row) => decimalText(row.amount) },
  ],
  conflict: ['day', 'store_id', 'product_id'],
  update: { quantity: 'add', amount: 'add' },
});

/** Writes one flush inside its transaction (the work queue's BatchWriter). */
export function writeDailySales(runner: QueryRunner, batch: readonly DailySales[]): Promise<void> {
  return upsertSales.run(runner, batch);
}
