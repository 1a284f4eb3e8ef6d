import { unnestUpsert, type ConflictAction } from '@lib/work-queue';
import type { QueryRunner } from 'typeorm';
import { tieBreakOf, type CandlePart } from './candle';

/** The table (migration Candles). */
export const CANDLES_TABLE = 'candles_1m';

const T = `"${CANDLES_TABLE}"`;

/** Takes the incoming value when the incoming row's tick at `side` ranks before (`<`) or after (`>`) the stored one. */
function chosenBy(side: 'open' | 'close'): ConflictAction {
  const wins = side === 'open' ? '<' : '>';
  return (current, incoming) =>
    `CASE WHEN (EXCLUDED."${side}_at", EXCLUDED."${side}_rank") ${wins} (${T}."${side}_at", ${T}."${side}_rank") ` +
    `THEN ${incoming} ELSE ${current} END`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One statement per flush: the flush's candle parts (one per symbol and minute) are inserted,
 * or merged with the stored candle. In `ON CONFLICT DO UPDATE` every right-hand side reads the
 * stored row as it was, so open/open_at/open_rank (and the close columns) switch together.
 * Prices travel as decimal strings: `String(number)` is the shortest exact form of the double,
 * so reading the numeric back gives the same number.
 */
const upsertCandles = unnestUpsert<CandlePart>({
  table: CANDLES_TABLE,
  columns: [
    { name: 'symbol', type: 'text', value: (c) => c.symbol },
    { name: 'open_time', type: 'timestamptz', value: (c) => iso(c.openTime) },
    { name: 'open', type: 'numeric', value: (c) => String(c.open) },
    { name: 'high', type: 'numeric', value: (c) => String(c.high) },
    { name: 'low', type: 'numeric', value: (c) => String(c.low) },
    { name: 'close', type: 'numeric', value: (c) => String(c.close) },
    { name: 'volume', type: 'numeric', value: (c) => c.volume.toString() },
    { name: 'trades', type: 'bigint', value: (c) => String(c.trades) },
    { name: 'open_at', type: 'timestamptz', value: (c) => iso(c.openRank.at) },
    { name: 'open_rank', type: 'text', value: (c) => tieBreakOf(c.openRank) },
    { name: 'close_at', type: 'timestamptz', value: (c) => iso(c.closeRank.at) },
    { name: 'close_rank', type: 'text', value: (c) => tieBreakOf(c.closeRank) },
    { name: 'close_volume', type: 'numeric', value: (c) => String(c.closeVolume) },
  ],
  conflict: ['symbol', 'open_time'],
  update: {
    high: 'greatest',
    low: 'least',
    volume: 'add',
    trades: 'add',
    open: chosenBy('open'),
    open_at: chosenBy('open'),
    open_rank: chosenBy('open'),
    close: chosenBy('close'),
    close_at: chosenBy('close'),
    close_rank: chosenBy('close'),
    close_volume: chosenBy('close'),
  },
});

/** The SQL of the upsert (for tests and the benchmark's description). */
export const UPSERT_CANDLES_SQL = upsertCandles.text;

/** Writes one flush's candle parts inside its transaction (the work queue's BatchWriter). */
export function writeCandles(runner: QueryRunner, batch: readonly CandlePart[]): Promise<void> {
  return upsertCandles.run(runner, batch);
}
