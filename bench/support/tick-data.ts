/**
 * Ticks for the candle benchmarks, as ingest publishes them to `ticks`: symbols round-robin, each
 * tick 1 ms after the previous in occurredAt (so minutes fill up in turn), random event ids.
 */
import type { Message } from 'kafkajs';
import { randomUUID } from 'node:crypto';

/** The topic ticks are published to. */
export const TICKS_TOPIC = 'ticks';
const START = Date.parse('2026-06-01T09:30:00Z');

/** The i-th tick of `symbols` symbols; `symbol` overrides its symbol (latency markers), `occurredMs` its time. */
export function tickMessage(
  i: number,
  symbols: number,
  symbol = `B${i % symbols}`,
  occurredMs = START + i,
): Message {
  const at = new Date(occurredMs).toISOString();
  const value = {
    eventId: randomUUID(),
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
}
