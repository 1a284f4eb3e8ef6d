import { benchTickIds, tickMessages } from './tick-data';

const eventIdOf = (value: unknown) => (JSON.parse(String(value)) as { eventId: string }).eventId;

describe('tick data (BENCH_TICK_IDS)', () => {
  it('reads ingest (the default) or client, and refuses anything else', () => {
    expect(benchTickIds(undefined)).toBe('ingest');
    expect(benchTickIds('')).toBe('ingest');
    expect(benchTickIds('client')).toBe('client');
    expect(() => benchTickIds('v4')).toThrow('BENCH_TICK_IDS must be ingest or client, not "v4"');
  });

  it('gives ticks UUIDv7 ids as ingest stamps them, or random UUIDv4 ids, in value and header', () => {
    const version = (ids: 'ingest' | 'client') => {
      const message = tickMessages(10, ids)(3, 'MARK', Date.parse('2026-06-01T10:00:00Z'));
      const eventId = eventIdOf(message.value);
      expect(message.headers).toEqual({ 'x-event-id': eventId, 'x-event-type': 'ticks' });
      expect(JSON.parse(String(message.value))).toMatchObject({
        symbol: 'MARK',
        occurredAt: '2026-06-01T10:00:00.000Z',
      });
      return eventId.charAt(14);
    };
    expect(version('ingest')).toBe('7');
    expect(version('client')).toBe('4');
    expect(JSON.parse(String(tickMessages(10, 'ingest')(13).value))).toMatchObject({
      symbol: 'B3',
    });
  });
});
