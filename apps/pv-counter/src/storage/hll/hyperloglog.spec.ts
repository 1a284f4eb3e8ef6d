import { seededRandom } from '../../../test/support/seeded-random';
import { HyperLogLog } from './hyperloglog';
import { EXACT_LIMIT, FORMAT_DENSE, FORMAT_EXACT, FORMAT_SPARSE, HEADER } from './sketch-format';
import { HLL_REGISTERS, registerUpdate, visitorUpdate } from './visitor-hashes';

function sketchOfRange(from: number, to: number, prefix = 'visitor-'): HyperLogLog {
  const sketch = new HyperLogLog();
  for (let i = from; i < to; i++) sketch.add(`${prefix}${i}`);
  return sketch;
}

const relativeError = (estimate: number, actual: number) => Math.abs(estimate - actual) / actual;

describe('HyperLogLog', () => {
  // The standard error is 1.04 / √16 384 ≈ 0.81 %: one fixed set of 1 M ids lands within 1 %, and
  // the other sets are held to 2 % (about 2.5 standard errors), as a fixed set may be off by more
  // than one standard error without anything being wrong.
  it('estimates 1 M distinct visitors within 1 %', () => {
    const sketch = sketchOfRange(0, 1_000_000);
    expect(relativeError(sketch.estimate(), 1_000_000)).toBeLessThan(0.01);
  });

  it('counts every set of up to EXACT_LIMIT visitors exactly, whatever its size', () => {
    const random = seededRandom(1_000);
    for (let round = 0; round < 300; round++) {
      const size = 1 + Math.floor(random() * EXACT_LIMIT);
      const sketch = new HyperLogLog();
      // Every visitor twice, in two passes: repeats count once.
      for (let pass = 0; pass < 2; pass++)
        for (let i = 0; i < size; i++) sketch.add(`r${round}-${i}`);
      expect({ size, estimate: sketch.estimate(), exact: sketch.isExact() }).toEqual({
        size,
        estimate: size,
        exact: true,
      });
    }
    expect(sketchOfRange(0, EXACT_LIMIT).estimate()).toBe(EXACT_LIMIT);
  });

  it.each([EXACT_LIMIT + 1, 5_000, 20_000, 60_000, 200_000])(
    'estimates %i distinct visitors within 2 % once past the exact limit',
    (n) => {
      const sketch = sketchOfRange(0, n, `v${n}-`);
      expect(sketch.isExact()).toBe(false);
      expect(relativeError(sketch.estimate(), n)).toBeLessThan(0.02);
    },
  );

  it('counts a repeated visitor once', () => {
    const sketch = new HyperLogLog();
    for (let i = 0; i < 1_000; i++) sketch.add('the-same-visitor');
    expect(sketch.estimate()).toBe(1);
    expect(new HyperLogLog().estimate()).toBe(0);
  });

  it('turns past the limit into the registers of every visitor it held', () => {
    const sketch = sketchOfRange(0, EXACT_LIMIT);
    expect(sketch.toBytes()[0]).toBe(FORMAT_EXACT);
    sketch.add('one-more');
    const registers = new Map<number, number>();
    for (const id of [
      ...Array.from({ length: EXACT_LIMIT }, (_, i) => `visitor-${i}`),
      'one-more',
    ]) {
      const update = registerUpdate(visitorUpdate(id));
      registers.set(update >>> 6, Math.max(registers.get(update >>> 6) ?? 0, update & 63));
    }
    const bytes = sketch.toBytes();
    expect(bytes[0]).toBe(FORMAT_SPARSE);
    const stored = new Map<number, number>();
    for (let at = HEADER; at < bytes.length; at += 3)
      stored.set(bytes.readUInt16BE(at), bytes[at + 2]);
    expect(stored).toEqual(registers);
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

  it.each([
    ['exact and exact, staying exact', [0, 400], [300, 900]],
    ['exact and exact, past the limit together', [0, 700], [500, 1_300]],
    ['exact and sparse registers', [0, 600], [400, 3_000]],
    ['exact and dense registers', [0, 600], [100, 40_000]],
    ['dense and dense', [0, 30_000], [20_000, 50_000]],
  ])('merges %s into the sketch of the union, either way round', (_, [a0, a1], [b0, b1]) => {
    const a = sketchOfRange(a0, a1);
    const b = sketchOfRange(b0, b1);
    const whole = sketchOfRange(Math.min(a0, b0), Math.max(a1, b1)).toBytes();
    expect(HyperLogLog.union(a, b).toBytes()).toEqual(whole);
    expect(HyperLogLog.union(b, a).toBytes()).toEqual(whole);
    const merged = a.clone();
    expect(merged.merge(b)).toBe(true);
    expect(merged.merge(b)).toBe(false); // nothing new the second time
  });

  it('round-trips through bytes: exact, sparse and dense', () => {
    const exact = sketchOfRange(0, 50);
    const exactBytes = exact.toBytes();
    expect(exactBytes.length).toBe(HEADER + 8 * 50); // 8 bytes per visitor
    expect(HyperLogLog.fromBytes(exactBytes).toBytes()).toEqual(exactBytes);
    expect(HyperLogLog.estimateOf(exactBytes)).toBe(50);
    expect(HyperLogLog.fromBytes(sketchOfRange(0, 0).toBytes()).estimate()).toBe(0);
    const sparse = sketchOfRange(0, 2_000).toBytes();
    expect(sparse[0]).toBe(FORMAT_SPARSE);
    expect(HyperLogLog.fromBytes(sparse).toBytes()).toEqual(sparse);
    const large = sketchOfRange(0, 100_000);
    const largeBytes = large.toBytes();
    expect(largeBytes[0]).toBe(FORMAT_DENSE);
    expect(largeBytes.length).toBe(HEADER + HLL_REGISTERS);
    expect(HyperLogLog.fromBytes(largeBytes).estimate()).toBe(large.estimate());
    expect(HyperLogLog.estimateOf(largeBytes)).toBe(large.estimate());
  });

  it('refuses bytes that are not a sketch', () => {
    expect(() => HyperLogLog.fromBytes(Buffer.from([9, 14]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([1, 12]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([1, 14, 0xff, 0xff, 1]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([2, 14, 0]))).toThrow(TypeError);
    expect(() => HyperLogLog.fromBytes(Buffer.from([3, 14, 1, 2, 3]))).toThrow(TypeError);
    const tooMany = Buffer.concat([Buffer.from([3, 14]), Buffer.alloc(8 * (EXACT_LIMIT + 1))]);
    expect(() => HyperLogLog.fromBytes(tooMany)).toThrow(TypeError);
    const twice = Buffer.from(sketchOfRange(0, 2).toBytes());
    twice.copy(twice, HEADER + 8, HEADER, HEADER + 8); // the first hash twice: not ascending
    expect(() => HyperLogLog.fromBytes(twice)).toThrow('corrupt exact visitor sketch');
  });

  it('hashes an id to 64 bits, whose register update is index * 64 + rank with a rank of 1..51', () => {
    for (let i = 0; i < 1_000; i++) {
      const hash = visitorUpdate(`id-${i}`);
      expect(hash >> 64n).toBe(0n);
      const update = registerUpdate(hash);
      expect(update >>> 6).toBe(Number(hash >> 50n));
      expect(update & 63).toBeGreaterThanOrEqual(1);
      expect(update & 63).toBeLessThanOrEqual(51);
    }
    expect(registerUpdate(0n)).toBe(51);
    expect(registerUpdate((1n << 64n) - 1n)).toBe((HLL_REGISTERS - 1) * 64 + 1);
    const byAdd = sketchOfRange(0, 3_000, 'id-');
    const byApply = new HyperLogLog();
    for (let i = 0; i < 3_000; i++) byApply.apply(visitorUpdate(`id-${i}`));
    expect(byApply.toBytes()).toEqual(byAdd.toBytes());
  });
});
