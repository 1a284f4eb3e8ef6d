/** What the candle benchmarks read back from a candle table (`candles_1m` or a baseline's). */
import type { Pool } from 'pg';
import { waitForCount } from './visible-count';

/** Ticks merged into `table`'s candles of the bulk symbols (`B…`), or of every symbol with `all`. */
export async function storedTrades(pool: Pool, table: string, all = false): Promise<number> {
  const result = await pool.query(
    `SELECT coalesce(sum(trades), 0)::bigint AS n FROM ${table}${all ? '' : ` WHERE symbol LIKE 'B%'`}`,
  );
  return Number(result.rows[0].n);
}

/** Of `symbols`, those with a candle in `table`. */
export async function visibleIn(pool: Pool, table: string, symbols: string[]): Promise<string[]> {
  const result = await pool.query(`SELECT DISTINCT symbol FROM ${table} WHERE symbol = ANY($1)`, [
    symbols,
  ]);
  return result.rows.map((row: { symbol: string }) => row.symbol);
}

/** Waits until `table` holds `count` bulk ticks, prints how long that took, and returns ticks/s. */
export async function waitForStored(
  pool: Pool,
  table: string,
  count: number,
  label: string,
): Promise<number> {
  const { rate, counted, ms, reached } = await waitForCount(
    () => storedTrades(pool, table),
    count,
    label,
  );
  console.log(
    `${label}: ${reached} ticks in candles; ${counted} of them in ${Math.round(ms)} ms after the first`,
  );
  return rate;
}
