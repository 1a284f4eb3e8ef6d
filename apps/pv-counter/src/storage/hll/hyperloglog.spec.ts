import { HLL_REGISTERS, HyperLogLog, visitorUpdate } from './hyperloglog';

function sketchOfRange(from: number, to: number, prefix = 'visitor-'): HyperLogLog {
  const sketch = new HyperLogLog();
  for (let i = from; i < to; i++) sketch.add(`${prefix}${i}`);
  return sketch;
}

const relativeError = (estimate: number, actual: number) => Math.abs(estimate - actual) / actual;

describe('HyperLogLog', () => {
  it('estimates 1 M distinct visitors within 2 %', () => {
    const sketch = sketchOfRange(0, 1_000_000);
    expect(relativeError(sketch.estimate(), 1_000_000)).toBeLessThan(0.02);
  });

  it.each([1, 10, 100, 1_000, 5_000, 20_000, 60_000, 200_000])(
    'estimates %i distinct visitors within 2 % (small counts exactly or nearly)',
    (n) => {
      const sketch = sketchOfRange(0, n, `v${n}-`);
      const estimate = sketch.estimate();
      if (n <= 100) expect(estimate).toBe(n);
      else expect(relativeError(estimate, n)).toBeLessThan(0.02);
    },
  );

  it('counts a repeated visitor once', () => {
    const sketch = new HyperLogLog();
    for (let i = 0; i < 1_000; i++) sketch.add('the-same-visitor');
    expect(sketch.estimate()).toBe(1);
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it('merges two halves into exactly the sketch of the whole, without changing the inputs', () => {
    const first = sketchOfRange(0, 300_000);
    const second = sketchOfRange(300_000, 600_000);
    const firstBytes = first.toBytes();
    const union = HyperLogLog.union(first, second);
    expect(Buffer.compare(union.toBytes(), sketchOfRange(0, 600_000).toBytes())).toBe(0);
    expect(Buffer.compare(first.toBytes(), firstBytes)).toBe(0);
    expect(relativeError(union.estimate(), 600_000)).toBeLessThan(0.02);
    // Overlapping sets: the union counts the overlap once.
    const overlap = HyperLogLog.union(sketchOfRange(0, 50_000), sketchOfRange(25_000, 75_000));
    expect(relativeError(overlap.estimate(), 75_000)).toBeLessThan(0.02);
  });

  it('round-trips through bytes, sparse while small and dense when large', () => {
    const small = sketchOfRange(0, 50);
    const smallBytes = small.toBytes();
    expect(smallBytes.length).toBe(2 + 3 * 50); // sparse: 3 bytes per set register
    expect(HyperLogLog.fromBytes(smallBytes).toBytes()).toEqual(smallBytes);
    const large = sketchOfRange(0, 100_000);
    const largeBytes = large.toBytes();
    expect(largeBytes.length).toBe(2 + HLL_REGISTERS);
    const decoded = HyperLogLog.fromBytes(largeBytes);
    expect(decoded.estimate()).toBe(large.estimate());
    // A sparse and a dense sketch merge either way round to the same result.
    expect(HyperLogLog.union(small, large).toBytes()).toEqual(HyperLogLog.union(large, small).toBytes());
  });

  it('refuses bytes that are not a sketch', () => {
    expect(() => HyperLogLog.fromBytes(Buffer.from([9, 14]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([1, 12]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([1, 14, 0xff, 0xff, 1]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([2, 14, 0]))).toThrow(TypeError);
  });

  it('packs updates as index * 64 + rank with a rank of 1..51, applied like add()', () => {
    for (let i = 0; i < 1_000; i++) {
      const update = visitorUpdate(`id-${i}`);
      expect(update >>> 6).toBeLessThan(HLL_REGISTERS);
      expect(update & 63).toBeGreaterThanOrEqual(1);
      expect(update & 63).toBeLessThanOrEqual(51);
    }
    const byAdd = sketchOfRange(0, 1_000, 'id-');
    const byApply = new HyperLogLog();
    for (let i = 0; i < 1_000; i++) byApply.apply(visitorUpdate(`id-${i}`));
    expect(byApply.toBytes()).toEqual(byAdd.toBytes());
  });
});
