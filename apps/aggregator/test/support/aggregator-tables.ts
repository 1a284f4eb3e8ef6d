/** Reads the aggregator's tables directly, for exact end-state checks. */
import { Client } from 'pg';
import type { ExpectedCandle, ExpectedSales } from './market-plan';

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Progress of the three pipelines: stored status changes, ticks in candles, orders' quantity in sales. */
export function progress(
  url: string,
): Promise<{ results: number; trades: number; quantity: number }> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ results: number; trades: number; quantity: number }>(`
      SELECT (SELECT count(*) FROM delivery_results)::int AS results,
             (SELECT coalesce(sum(trades), 0) FROM candles_1m)::int AS trades,
             (SELECT coalesce(sum(quantity), 0) FROM sales_daily)::int AS quantity`);
    return rows[0];
  });
}

/** Every stored status change's event id (sorted). */
export function storedResultEventIds(url: string): Promise<string[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ event_id: string }>(
      'SELECT event_id FROM delivery_results ORDER BY event_id COLLATE "C"',
    );
    return rows.map((row) => row.event_id);
  });
}

/** Every candle, keyed `symbol|openTime ISO`. */
export function storedCandles(url: string): Promise<Map<string, ExpectedCandle>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<Record<string, string | Date>>(
      'SELECT symbol, open_time, open::text, high::text, low::text, close::text, volume::text, trades::text FROM candles_1m',
    );
    return new Map(
      rows.map((row) => [
        `${row.symbol as string}|${(row.open_time as Date).toISOString()}`,
        {
          open: Number(row.open),
          high: Number(row.high),
          low: Number(row.low),
          close: Number(row.close),
          volume: Number(row.volume),
          trades: Number(row.trades),
        },
      ]),
    );
  });
}

/** Every sales row, keyed `day|store|product`, amounts in cents. */
export function storedSales(url: string): Promise<Map<string, ExpectedSales>> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{
      day: string;
      store_id: string;
      product_id: string;
      quantity: string;
      cents: string;
    }>(
      'SELECT day::text AS day, store_id, product_id, quantity::text, (amount * 100)::text AS cents FROM sales_daily',
    );
    return new Map(
      rows.map((row) => [
        `${row.day}|${row.store_id}|${row.product_id}`,
        // amount * 100 of two-decimal sums is a whole number; its text must show no fraction.
        {
          quantity: Number(row.quantity),
          amountCents: /^\d+(\.0*)?$/.test(row.cents) ? Number(row.cents.split('.')[0]) : NaN,
        },
      ]),
    );
  });
}
