import { benchRounds, describeRounds, medianRound } from './throughput-rounds';

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
});
