import { seededRandom } from '../../../test/support/seeded-random';
import { legacySketchOf } from '../../../test/support/sketches';
import { HyperLogLog } from './hyperloglog';
import { raiseSketchBytes } from './raise-sketch-bytes';
import { EXACT_LIMIT, FORMAT_EXACT, FORMAT_SPARSE } from './sketch-format';
import { registerUpdate, visitorUpdate } from './visitor-hashes';

/** What the sketch object makes of the same input: the reference. */
function reference(stored: Buffer | null, hashes: readonly bigint[]): Buffer | null {
  const sketch = stored === null ? new HyperLogLog() : HyperLogLog.fromBytes(stored);
  let changed = false;
  for (const hash of hashes) if (sketch.apply(hash)) changed = true;
  return changed ? sketch.toBytes() : null;
}

function sketchBytes(visitors: number, prefix: string): Buffer {
  const sketch = new HyperLogLog();
  for (let i = 0; i < visitors; i++) sketch.add(`${prefix}${i}`);
  return sketch.toBytes();
}

const ids = (from: number, to: number, prefix: string) =>
  Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
const hashesOf = (from: number, to: number, prefix: string) =>
  ids(from, to, prefix).map(visitorUpdate);

describe('raiseSketchBytes', () => {
  it.each([
    ['no stored sketch, a few visitors', null, 0, 5],
    ['an exact sketch, new and repeated visitors', 40, 20, 80],
    ['an exact sketch at its limit, one more', EXACT_LIMIT, 0, EXACT_LIMIT + 1],
    ['an exact sketch, past its limit by many', 600, 0, 6_000],
    ['a sparse register sketch near its limit, turning dense', 3_500, 0, 7_000],
    ['a dense sketch', 100_000, 90_000, 110_000],
  ])('gives the bytes the sketch object gives: %s', (_, storedVisitors, from, to) => {
    const stored = storedVisitors === null ? null : sketchBytes(storedVisitors, 'v');
    const hashes = hashesOf(from, to, 'v');
    const expected = reference(stored, hashes);
    expect(expected).not.toBeNull();
    expect(raiseSketchBytes(stored, [...hashes].reverse())).toEqual(expected);
    expect(raiseSketchBytes(stored, BigUint64Array.from([...hashes, ...hashes]))).toEqual(expected);
  });

  it('keeps an exact sketch exact up to the limit, its bytes the sorted distinct hashes', () => {
    const bytes = raiseSketchBytes(null, hashesOf(0, EXACT_LIMIT, 'v'))!;
    expect(bytes[0]).toBe(FORMAT_EXACT);
    expect(HyperLogLog.estimateOf(bytes)).toBe(EXACT_LIMIT);
    const past = raiseSketchBytes(bytes, [visitorUpdate('one-more')])!;
    expect(past[0]).toBe(FORMAT_SPARSE);
    expect(past).toEqual(legacySketchOf([...ids(0, EXACT_LIMIT, 'v'), 'one-more']));
  });

  it('returns null when no visitor is new, exact, sparse or dense, and leaves the stored bytes alone', () => {
    for (const stored of [
      sketchBytes(30, 'v'),
      sketchBytes(3_000, 'v'),
      sketchBytes(50_000, 'v'),
    ]) {
      const copy = Buffer.from(stored);
      expect(raiseSketchBytes(stored, hashesOf(0, 30, 'v'))).toBeNull();
      expect(raiseSketchBytes(stored, [])).toBeNull();
      expect(raiseSketchBytes(stored, hashesOf(0, 20_000, 'w'))).not.toBeNull();
      expect(stored).toEqual(copy);
    }
    expect(raiseSketchBytes(null, [])).toBeNull();
  });

  it('matches the sketch object on random sketches and visitors', () => {
    const random = seededRandom(7);
    const below = (n: number) => Math.floor(random() * n);
    for (let round = 0; round < 200; round++) {
      const stored = below(4) === 0 ? null : sketchBytes(below(6_000), `r${round}-`);
      const hashes = hashesOf(0, below(1_500), `r${round}-`);
      expect(raiseSketchBytes(stored, [...hashes])).toEqual(reference(stored, hashes));
    }
  });

  it('takes register updates of rows written before hashes into registers', () => {
    const legacy = ids(0, 50, 'old').map((id) => registerUpdate(visitorUpdate(id)));
    const exact = sketchBytes(300, 'v');
    const union = legacySketchOf([...ids(0, 300, 'v'), ...ids(0, 50, 'old'), 'new']);
    expect(raiseSketchBytes(exact, [visitorUpdate('new')], [...legacy])).toEqual(union);
    expect(raiseSketchBytes(null, [], [...legacy])).toEqual(legacySketchOf(ids(0, 50, 'old')));
    const registers = legacySketchOf(ids(0, 300, 'v'));
    expect(raiseSketchBytes(registers, [visitorUpdate('new')], [...legacy])).toEqual(union);
    expect(raiseSketchBytes(union, [], [...legacy])).toBeNull();
  });

  it('refuses bytes that are not a sketch, or entries out of order', () => {
    const one = [visitorUpdate('a')];
    expect(() => raiseSketchBytes(Buffer.from([9, 14]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 12]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0xff, 0xff, 1]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([2, 14, 0]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([3, 14, 0]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 1, 0, 3, 1]), one)).toThrow(/corrupt/);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 1, 0, 5, 2]), one)).toThrow(/corrupt/);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 0]), one)).toThrow(/corrupt/);
    const exact = sketchBytes(2, 'v');
    const reversed = Buffer.concat([
      exact.subarray(0, 2),
      exact.subarray(10),
      exact.subarray(2, 10),
    ]);
    expect(() => raiseSketchBytes(reversed, one)).toThrow('corrupt exact visitor sketch');
  });
});
