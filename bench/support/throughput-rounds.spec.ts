import { benchRounds, describeRounds, measureRound, medianRound } from './throughput-rounds';

describe('throughput rounds', () => {
  it('reads BENCH_ROUNDS as a whole number of at least 1', () => {
    expect(benchRounds(undefined)).toBe(1);
    expect(benchRounds('', 2)).toBe(2);
    expect(benchRounds('3')).toBe(3);
    expect(() => benchRounds('0')).toThrow('BENCH_ROUNDS must be a whole number >= 1, not "0"');
    expect(() => benchRounds('2.5')).toThrow('not "2.5"');
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
});
