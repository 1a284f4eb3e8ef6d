import {
  benchRounds,
  describeRounds,
  measureRound,
  measureRounds,
  medianRound,
} from './throughput-rounds';

describe('throughput rounds', () => {
  it('reads BENCH_ROUNDS as a whole number of at least 1', () => {
    expect(benchRounds(1, undefined)).toBe(1);
    expect(benchRounds(2, '')).toBe(2);
    expect(benchRounds(1, '3')).toBe(3);
    expect(() => benchRounds(1, '0')).toThrow('BENCH_ROUNDS must be a whole number >= 1, not "0"');
    expect(() => benchRounds(1, '2.5')).toThrow('not "2.5"');
  });

  it('reports the round with the median ratio, the lower middle one of an even count', () => {
    const a = { ours: 46, baseline: 100 };
    const b = { ours: 60, baseline: 100 };
    const c = { ours: 51, baseline: 100 };
    expect(medianRound([a, b, c])).toBe(c);
    expect(medianRound([b, a])).toBe(a);
    expect(medianRound([b])).toBe(b);
    expect(describeRounds([a, b, c])).toBe('0.46, 0.60, 0.51 (median 0.51)');
    expect(() => medianRound([])).toThrow('no rounds measured');
  });

  it('measures ours first in odd rounds and the baseline first in even ones', async () => {
    const order: string[] = [];
    const side = (name: string, rate: number) => async () => {
      order.push(name);
      return rate;
    };
    expect(await measureRound(1, side('ours', 5), side('baseline', 10))).toEqual({
      ours: 5,
      baseline: 10,
    });
    expect(await measureRound(2, side('ours', 6), side('baseline', 12))).toEqual({
      ours: 6,
      baseline: 12,
    });
    expect(order).toEqual(['ours', 'baseline', 'baseline', 'ours']);
  });

  it('measures rounds 1 to n in turn, reporting each', async () => {
    const reported: Array<[number, number]> = [];
    const rounds = await measureRounds(
      2,
      async (round) => round * 10,
      async () => 100,
      (round, rates) => reported.push([round, rates.ours]),
    );
    expect(rounds).toEqual([
      { ours: 10, baseline: 100 },
      { ours: 20, baseline: 100 },
    ]);
    expect(reported).toEqual([
      [1, 10],
      [2, 20],
    ]);
  });
});
