import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CANDLES_TABLE } from './candles.writer';
import type { Quote } from './quote-book';

/** One candle as `GET /v1/candles/:symbol` answers it. */
export interface CandleView {
  readonly openTime: string;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly trades: number;
}

interface CandleRow {
  open_time: Date;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  trades: string;
}

interface QuoteRow {
  close: string;
  close_volume: string;
  close_at: Date;
}

/** Reads `candles_1m` through its primary key (symbol, open_time). */
@Injectable()
export class CandlesQuery {
  constructor(private readonly dataSource: DataSource) {}

  /** The symbol's one-minute candles starting in [from, to], oldest first. */
  async candles(symbol: string, from: number, to: number): Promise<CandleView[]> {
    const rows = (await this.dataSource.query(
      `SELECT open_time, open::text, high::text, low::text, close::text, volume::text, trades::text ` +
        `FROM ${CANDLES_TABLE} WHERE symbol = $1 AND open_time >= $2 AND open_time <= $3 ORDER BY open_time`,
      [symbol, new Date(from).toISOString(), new Date(to).toISOString()],
    )) as CandleRow[];
    return rows.map((row) => ({
      openTime: new Date(row.open_time).toISOString(),
      open: Number(row.open),
      high: Number(row.high),
      low: Number(row.low),
      close: Number(row.close),
      volume: Number(row.volume),
      trades: Number(row.trades),
    }));
  }

  /**
   * The symbol's latest committed quote: the close of its latest candle (ticks rank by
   * occurredAt first, so the highest-ranked tick closes the latest minute). Read from the
   * database rather than this process's QuoteBook, so it is right whichever instance consumed
   * the symbol and after a restart.
   */
  async latestQuote(symbol: string): Promise<Quote | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT close::text, close_volume::text, close_at FROM ${CANDLES_TABLE} ` +
        'WHERE symbol = $1 ORDER BY open_time DESC LIMIT 1',
      [symbol],
    )) as QuoteRow[];
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      symbol,
      price: Number(row.close),
      volume: Number(row.close_volume),
      at: new Date(row.close_at).toISOString(),
    };
  }
}
