/**
 * Ticks for the candle benchmarks, as ingest publishes them to `ticks`: symbols round-robin, each
 * tick 1 ms after the previous in occurredAt (so minutes fill up in turn). Their event ids are
 * chosen by BENCH_TICK_IDS ({@link benchTickIds}).
 */
import type { Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';

/** The topic ticks are published to. */
export const TICKS_TOPIC = 'ticks';
const START = Date.parse('2026-06-01T09:30:00Z');

/**
 * How the ticks' event ids are made: `ingest`, time-ordered UUIDs (version 7) as ingest stamps
 * them, stored under their own time; `client`, random UUIDs (version 4) as a client that sends its
 * own `eventId` might, which de-duplication hashes and looks up in every generation kept.
 */
export type TickIds = 'ingest' | 'client';

/** The kind of tick ids a run uses: BENCH_TICK_IDS, `ingest` when unset. */
export function benchTickIds(value = process.env.BENCH_TICK_IDS): TickIds {
  if (value === undefined || value === '' || value === 'ingest') return 'ingest';
  if (value === 'client') return 'client';
  throw new Error(`BENCH_TICK_IDS must be ingest or client, not "${value}"`);
}

/** What a run's output says of its tick ids. */
export function describeTickIds(ids: TickIds): string {
  return ids === 'ingest'
    ? 'event ids UUIDv7 as ingest stamps them'
    : "event ids random UUIDv4, as a client's own";
}

/** Makes the i-th tick of `symbols` symbols; `symbol` overrides its symbol (latency markers), `occurredMs` its time. */
export type TickMaker = (i: number, symbol?: string, occurredMs?: number) => Message;

/** The tick maker of a run over `symbols` symbols whose event ids are `ids`. */
export function tickMessages(symbols: number, ids: TickIds): TickMaker {
  const eventId = ids === 'ingest' ? () => timeOrderedUuid() : () => randomUUID();
  return (i, symbol = `B${i % symbols}`, occurredMs = START + i) => {
    const at = new Date(occurredMs).toISOString();
    const value = {
      eventId: eventId(),
      symbol,
      price: 100 + ((i * 7919) % 10_000) / 100,
      volume: 1 + (i % 100),
      occurredAt: at,
      receivedAt: at,
    };
    return {
      key: symbol,
      value: JSON.stringify(value),
      headers: { 'x-event-id': value.eventId, 'x-event-type': TICKS_TOPIC },
    };
  };
}
