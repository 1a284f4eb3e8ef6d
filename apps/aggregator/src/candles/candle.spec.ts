import type { IncomingEvent } from '@lib/queue';
import {
  candleKeyOf,
  candleOf,
  mergeCandles,
  minuteOf,
  rankOf,
  tieBreakOf,
  type CandlePart,
} from './candle';
import type { TickPayload } from './tick-payload';

function tick(
  i: number,
  occurredAt: string,
  price: number,
  volume = 1,
  receivedAt = '2026-03-01T10:05:00.000Z',
): TickPayload {
  return {
    eventId: `e${String(i).padStart(3, '0')}`,
    symbol: 'ACME',
    price,
    volume,
    occurredAt,
    receivedAt,
  };
}

/** Shuffles with a fixed seed (a small LCG) so failures reproduce. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function fold(ticks: readonly TickPayload[]): CandlePart {
  return ticks.map(candleOf).reduce((a, b) => mergeCandles(a, b));
}

describe('candle merge', () => {
  const ticks = [
    tick(1, '2026-03-01T10:00:30.000Z', 101, 5),
    tick(2, '2026-03-01T10:00:01.000Z', 100, 2), // earliest: the open, though it arrives second
    tick(3, '2026-03-01T10:00:59.999Z', 99, 7), // latest: the close
    tick(4, '2026-03-01T10:00:45.000Z', 120, 1), // high
    tick(5, '2026-03-01T10:00:10.000Z', 90, 3), // low
    tick(6, '2026-03-01T11:00:20.000+01:00', 104, 4), // 10:00:20Z, an offset
  ];

  it('takes open from the earliest and close from the latest occurredAt, whatever the arrival order', () => {
    const expected = {
      symbol: 'ACME',
      openTime: Date.parse('2026-03-01T10:00:00Z'),
      open: 100,
      high: 120,
      low: 90,
      close: 99,
      closeVolume: 7,
      volume: 22n,
      trades: 6,
    };
    for (let seed = 1; seed <= 50; seed++) {
      const order = shuffled(ticks, seed);
      expect(fold(order)).toMatchObject(expected);
      // Split into two flushes merged later (as the database does), in either order.
      const cut = 1 + (seed % (order.length - 1));
      const first = fold(order.slice(0, cut));
      const second = fold(order.slice(cut));
      expect(mergeCandles(first, second)).toEqual(mergeCandles(second, first));
      expect(mergeCandles(first, second)).toMatchObject(expected);
    }
  });

  it('breaks a tie in occurredAt by receivedAt, then eventId, the same way in any order', () => {
    const at = '2026-03-01T10:00:00.000Z';
    const early = tick(9, at, 10, 1, '2026-03-01T10:00:00.100Z');
    const late = tick(1, at, 20, 1, '2026-03-01T10:00:00.200Z');
    const lateSameReceipt = tick(2, at, 30, 1, '2026-03-01T10:00:00.200Z');
    for (const order of [
      [early, late, lateSameReceipt],
      [lateSameReceipt, late, early],
      [late, early, lateSameReceipt],
    ]) {
      const candle = fold(order);
      expect([candle.open, candle.close]).toEqual([10, 30]);
    }
  });

  it('keys by symbol and UTC minute, and does not mutate its inputs', () => {
    const event = (payload: TickPayload) =>
      ({
        stream: 'ticks',
        eventId: payload.eventId,
        payload,
        position: { topic: 'ticks', partition: 0, offset: '0' },
      }) satisfies IncomingEvent<TickPayload>;
    expect(candleKeyOf(event(tick(1, '2026-03-01T10:59:59.999+02:00', 1)))).toBe(
      `ACME|${Date.parse('2026-03-01T08:59:00Z')}`,
    );
    expect(minuteOf(Date.parse('2026-03-01T10:00:59.999Z'))).toBe(
      Date.parse('2026-03-01T10:00:00Z'),
    );
    const a = candleOf(ticks[0]);
    const b = candleOf(ticks[1]);
    const snapshot = [JSON.stringify(a, bigints), JSON.stringify(b, bigints)];
    mergeCandles(a, b);
    expect([JSON.stringify(a, bigints), JSON.stringify(b, bigints)]).toEqual(snapshot);
    expect(tieBreakOf(rankOf(ticks[0]))).toBe(`00${Date.parse('2026-03-01T10:05:00Z')}|e001`);
  });

  it('sums volumes past 2^53 exactly', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const candle = fold([
      tick(1, '2026-03-01T10:00:00Z', 1, big),
      tick(2, '2026-03-01T10:00:01Z', 1, big),
    ]);
    expect(candle.volume).toBe(BigInt(big) * 2n);
  });
});

function bigints(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
