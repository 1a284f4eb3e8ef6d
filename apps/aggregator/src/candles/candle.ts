import type { IncomingEvent } from '@lib/queue';
import type { TickPayload } from './tick-payload';

/** Length of a candle (the only interval so far). */
export const MINUTE_MS = 60_000;

/**
 * Where a tick stands in time: its `occurredAt` (epoch ms) and, for ticks of the same
 * millisecond, a tie-break of its `receivedAt` and `eventId` ({@link tieBreakOf}). Every field
 * comes from the payload, so the rank of a tick is the same on every broker, after a retry or a
 * redelivery, and in the database (`open_rank`/`close_rank`, compared byte-wise).
 */
export interface TickRank {
  readonly at: number;
  readonly receivedAt: string;
  readonly eventId: string;
}

/** The rank of one tick (the tie-break is only made when two ranks share a millisecond). */
export function rankOf(tick: TickPayload): TickRank {
  return { at: Date.parse(tick.occurredAt), receivedAt: tick.receivedAt, eventId: tick.eventId };
}

/** The tie-break of a rank as stored: zero-padded `receivedAt` epoch ms, `|`, `eventId`. */
export function tieBreakOf(rank: TickRank): string {
  const received = Math.max(0, Date.parse(rank.receivedAt));
  return `${String(received).padStart(15, '0')}|${rank.eventId}`;
}

/** Negative when `a` is earlier than `b`, positive when later, 0 for the same tick. */
export function compareRanks(a: TickRank, b: TickRank): number {
  if (a.at !== b.at) return a.at - b.at;
  const x = tieBreakOf(a);
  const y = tieBreakOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The part of one symbol's one-minute candle made by the ticks of one flush (or a stored
 * candle): open and close carry the rank of the tick that set them, so two parts merge into
 * the same candle whatever order their ticks arrived in.
 */
export interface CandlePart {
  readonly symbol: string;
  /** Epoch ms of the minute's start (UTC). */
  readonly openTime: number;
  readonly open: number;
  readonly openRank: TickRank;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly closeRank: TickRank;
  /** Volume of the closing tick (the latest quote's volume). */
  readonly closeVolume: number;
  /** Sum of the ticks' volumes; a bigint because a busy minute can pass 2^53. */
  readonly volume: bigint;
  readonly trades: number;
}

/** The start (epoch ms) of the UTC minute holding `atMs`. */
export function minuteOf(atMs: number): number {
  return Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
}

/** The work-queue key: symbol and minute (a symbol never contains `|`). */
export function candleKeyOf(
  event: IncomingEvent<TickPayload>,
  value: Pick<CandlePart, 'symbol' | 'openTime'> = candleOf(event.payload),
): string {
  return `${value.symbol}|${value.openTime}`;
}

/** One tick as a candle of its own. */
export function candleOf(tick: TickPayload): CandlePart {
  const rank = rankOf(tick);
  return {
    symbol: tick.symbol,
    openTime: minuteOf(rank.at),
    open: tick.price,
    openRank: rank,
    high: tick.price,
    low: tick.price,
    close: tick.price,
    closeRank: rank,
    closeVolume: tick.volume,
    volume: BigInt(tick.volume),
    trades: 1,
  };
}

/** The work queue's valueOf. */
export function candleValueOf(event: IncomingEvent<TickPayload>): CandlePart {
  return candleOf(event.payload);
}

/**
 * Merges two parts of one candle without mutating either. Commutative and associative: the
 * open is the part with the earlier open rank, the close the one with the later close rank,
 * so the result does not depend on arrival order or on how ticks were split into flushes.
 */
export function mergeCandles(a: CandlePart, b: CandlePart): CandlePart {
  const openSide = compareRanks(a.openRank, b.openRank) <= 0 ? a : b;
  const closeSide = compareRanks(a.closeRank, b.closeRank) >= 0 ? a : b;
  return {
    symbol: a.symbol,
    openTime: a.openTime,
    open: openSide.open,
    openRank: openSide.openRank,
    high: Math.max(a.high, b.high),
    low: Math.min(a.low, b.low),
    close: closeSide.close,
    closeRank: closeSide.closeRank,
    closeVolume: closeSide.closeVolume,
    volume: a.volume + b.volume,
    trades: a.trades + b.trades,
  };
}
