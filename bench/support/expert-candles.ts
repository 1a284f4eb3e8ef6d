/**
 * The expert's candle writer: each batch's ticks folded per (symbol, minute) into OHLCV in a Map
 * (open and close by occurredAt), then one unnest upsert into a table of its own, merging with
 * the stored candle as the aggregator does (without its tie-break ranks). No validation.
 */
import type { ExpertSink } from './expert-consumer';

/** The expert's candle table of the throughput and latency runs. */
export const EXPERT_CANDLES_TABLE = 'expert_candles';

interface Part {
  symbol: string;
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  trades: number;
  openAt: number;
  closeAt: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The sink merging ticks into one-minute candles in `table`. */
export function expertCandles(table: string): ExpertSink {
  return {
    tableSql: `CREATE TABLE IF NOT EXISTS ${table} (
      symbol text NOT NULL, open_time timestamptz NOT NULL,
      open numeric NOT NULL, high numeric NOT NULL, low numeric NOT NULL, close numeric NOT NULL,
      volume numeric NOT NULL, trades bigint NOT NULL, open_at timestamptz NOT NULL, close_at timestamptz NOT NULL,
      PRIMARY KEY (symbol, open_time)) WITH (fillfactor = 70)`,
    statement(values) {
      const parts = new Map<string, Part>();
      for (const value of values) {
        const tick = JSON.parse(value.toString()) as {
          symbol: string;
          price: number;
          volume: number;
          occurredAt: string;
        };
        const at = Date.parse(tick.occurredAt);
        const openTime = at - (at % 60_000);
        const key = `${tick.symbol} ${openTime}`;
        const part = parts.get(key);
        if (part === undefined) {
          parts.set(key, {
            symbol: tick.symbol,
            openTime,
            open: tick.price,
            high: tick.price,
            low: tick.price,
            close: tick.price,
            volume: tick.volume,
            trades: 1,
            openAt: at,
            closeAt: at,
          });
          continue;
        }
        if (tick.price > part.high) part.high = tick.price;
        if (tick.price < part.low) part.low = tick.price;
        if (at < part.openAt) [part.open, part.openAt] = [tick.price, at];
        if (at >= part.closeAt) [part.close, part.closeAt] = [tick.price, at];
        part.volume += tick.volume;
        part.trades++;
      }
      const rows = [...parts.values()];
      return {
        text: `INSERT INTO ${table} AS t (symbol, open_time, open, high, low, close, volume, trades, open_at, close_at)
          SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[],
            $7::numeric[], $8::bigint[], $9::timestamptz[], $10::timestamptz[])
          ON CONFLICT (symbol, open_time) DO UPDATE SET
            high = GREATEST(t.high, excluded.high), low = LEAST(t.low, excluded.low),
            volume = t.volume + excluded.volume, trades = t.trades + excluded.trades,
            open = CASE WHEN excluded.open_at < t.open_at THEN excluded.open ELSE t.open END,
            open_at = LEAST(t.open_at, excluded.open_at),
            close = CASE WHEN excluded.close_at >= t.close_at THEN excluded.close ELSE t.close END,
            close_at = GREATEST(t.close_at, excluded.close_at)`,
        values: [
          rows.map((r) => r.symbol),
          rows.map((r) => iso(r.openTime)),
          rows.map((r) => String(r.open)),
          rows.map((r) => String(r.high)),
          rows.map((r) => String(r.low)),
          rows.map((r) => String(r.close)),
          rows.map((r) => String(r.volume)),
          rows.map((r) => r.trades),
          rows.map((r) => iso(r.openAt)),
          rows.map((r) => iso(r.closeAt)),
        ],
      };
    },
  };
}
