import { Injectable } from '@nestjs/common';
import { compareRanks, rankOf, type TickRank } from './candle';
import type { TickPayload } from './tick-payload';

/** The latest quote of a symbol, as the routes show it. */
export interface Quote {
  readonly symbol: string;
  readonly price: number;
  /** Volume of the latest tick. */
  readonly volume: number;
  /** Its `occurredAt`, ISO-8601 UTC. */
  readonly at: string;
}

interface Entry {
  readonly quote: Quote;
  readonly rank: TickRank;
}

/**
 * The highest-ranked tick of each symbol: of `ticks`, the only ones {@link QuoteBook.offer} can
 * take (the same rule), so a caller holding ticks until their flush commits keeps only these.
 */
export function latestPerSymbol(ticks: readonly TickPayload[]): TickPayload[] {
  const latest = new Map<string, { tick: TickPayload; rank: TickRank }>();
  for (const tick of ticks) {
    const rank = rankOf(tick);
    const current = latest.get(tick.symbol);
    if (current === undefined || compareRanks(rank, current.rank) > 0)
      latest.set(tick.symbol, { tick, rank });
  }
  return [...latest.values()].map((entry) => entry.tick);
}

/**
 * The latest committed quote per symbol in this process: the consumer offers ticks only after
 * the flush holding them committed, so a quote here (and pushed from here) is never ahead of the
 * database. "Latest" is the highest tick rank, the same rule as a candle's close, so a late or
 * redelivered tick never replaces a newer quote. Memory: one entry per symbol seen.
 */
@Injectable()
export class QuoteBook {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(changed: readonly Quote[]) => void>();

  /** Takes committed ticks; listeners get the quotes that changed (one per symbol), if any. */
  offer(ticks: readonly TickPayload[]): void {
    const changed = new Map<string, Quote>();
    for (const tick of ticks) {
      const rank = rankOf(tick);
      const current = this.entries.get(tick.symbol);
      if (current !== undefined && compareRanks(rank, current.rank) <= 0) continue;
      const quote: Quote = {
        symbol: tick.symbol,
        price: tick.price,
        volume: tick.volume,
        at: new Date(rank.at).toISOString(),
      };
      this.entries.set(tick.symbol, { quote, rank });
      changed.set(tick.symbol, quote);
    }
    if (changed.size === 0) return;
    const quotes = [...changed.values()];
    for (const listener of this.listeners) listener(quotes);
  }

  /** Symbols with a quote. */
  get size(): number {
    return this.entries.size;
  }

  /** The latest quote of `symbol` seen by this process. */
  get(symbol: string): Quote | undefined {
    return this.entries.get(symbol)?.quote;
  }

  /** The current quotes of `symbols` (undefined: every symbol) that are known. */
  snapshot(symbols: ReadonlySet<string> | undefined): Quote[] {
    if (symbols === undefined) return [...this.entries.values()].map((entry) => entry.quote);
    const quotes: Quote[] = [];
    for (const symbol of symbols) {
      const entry = this.entries.get(symbol);
      if (entry !== undefined) quotes.push(entry.quote);
    }
    return quotes;
  }

  /** Calls `listener` with every change; returns the unsubscribe function. */
  onChange(listener: (changed: readonly Quote[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
