import { HLL_REGISTERS, HyperLogLog, SPARSE_LIMIT, visitorUpdate } from './hyperloglog';
import { raiseSketchBytes } from './raise-sketch-bytes';

/** What the sketch object makes of the same input: the reference. */
function reference(stored: Buffer | null, updates: readonly number[]): Buffer | null {
  const sketch = stored === null ? new HyperLogLog() : HyperLogLog.fromBytes(stored);
  let changed = false;
  for (const update of updates) if (sketch.apply(update)) changed = true;
  return changed ? sketch.toBytes() : null;
}

function sketchBytes(visitors: number, prefix: string): Buffer {
  const sketch = new HyperLogLog();
  for (let i = 0; i < visitors; i++) sketch.add(`${prefix}${i}`);
  return sketch.toBytes();
}

const updatesOf = (from: number, to: number, prefix: string) =>
  Array.from({ length: to - from }, (_, i) => visitorUpdate(`${prefix}${from + i}`));

describe('raiseSketchBytes', () => {
  it.each([
    ['no stored sketch, a few visitors', 0, 0, 5],
    ['a small sparse sketch, new and repeated visitors', 40, 20, 80],
    ['a sparse sketch near its limit, turning dense', SPARSE_LIMIT - 50, 0, SPARSE_LIMIT + 400],
    ['a dense sketch', 100_000, 90_000, 110_000],
  ])('gives the bytes the sketch object gives: %s', (_, storedVisitors, from, to) => {
    const stored = storedVisitors === 0 ? null : sketchBytes(storedVisitors, 'v');
    const updates = updatesOf(from, to, 'v');
    const expected = reference(stored, updates);
    expect(expected).not.toBeNull();
    expect(raiseSketchBytes(stored, [...updates].reverse())).toEqual(expected);
  });

  it('returns null when no register rises, sparse or dense, and leaves the stored bytes alone', () => {
    for (const stored of [sketchBytes(30, 'v'), sketchBytes(50_000, 'v')]) {
      const copy = Buffer.from(stored);
      expect(raiseSketchBytes(stored, updatesOf(0, 30, 'v'))).toBeNull();
      expect(raiseSketchBytes(stored, [])).toBeNull();
      expect(raiseSketchBytes(stored, updatesOf(0, 20_000, 'w'))).not.toBeNull();
      expect(stored).toEqual(copy);
    }
  });

  it('matches the sketch object on random sketches and updates', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const stored = random(4) === 0 ? null : sketchBytes(random(6_000), `r${round}-`);
      const updates = Array.from({ length: random(300) }, () => random(HLL_REGISTERS) * 64 + 1 + random(51));
      expect(raiseSketchBytes(stored, [...updates])).toEqual(reference(stored, updates));
    }
  });

  it('refuses bytes that are not a sketch, or sparse entries out of order', () => {
    const one = [visitorUpdate('a')];
    expect(() => raiseSketchBytes(Buffer.from([9, 14]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 12]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0xff, 0xff, 1]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([2, 14, 0]), one)).toThrow(TypeError);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 1, 0, 3, 1]), one)).toThrow(/corrupt/);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 1, 0, 5, 2]), one)).toThrow(/corrupt/);
    expect(() => raiseSketchBytes(Buffer.from([1, 14, 0, 5, 0]), one)).toThrow(/corrupt/);
  });
});
