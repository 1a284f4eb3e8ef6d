/**
 * Sketches stored before sketches were exact (HyperLogLog registers only, sparse or dense) keep
 * reading and merging: the pinned digests and estimates are those the earlier code produced for
 * the same visitors, so a change to the hashing, the register update or the register formats
 * fails here.
 */
import { createHash } from 'node:crypto';
import { legacySketchOf, sketchOf } from '../../../test/support/sketches';
import { HyperLogLog } from './hyperloglog';
import { raiseSketchBytes } from './raise-sketch-bytes';
import { FORMAT_DENSE, FORMAT_SPARSE } from './sketch-format';
import { registerUpdate, visitorUpdate } from './visitor-hashes';

const ids = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `legacy-${from + i}`);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('sketches stored by the earlier code', () => {
  const sparse = legacySketchOf(ids(0, 100));
  const dense = legacySketchOf(ids(0, 30_000));

  it('are the bytes the earlier code wrote, with the same register updates per visitor', () => {
    expect(['a', 'b', 'c'].map((id) => registerUpdate(visitorUpdate(id)))).toEqual([
      945_217, 357_761, 574_469,
    ]);
    expect({ format: sparse[0], length: sparse.length, sha: sha256(sparse) }).toEqual({
      format: FORMAT_SPARSE,
      length: 302,
      sha: 'acf2e8998e8e3ba0621b131fbf4f36590d5ddc86e498ddf572b660284a533e92',
    });
    expect({ format: dense[0], length: dense.length, sha: sha256(dense) }).toEqual({
      format: FORMAT_DENSE,
      length: 16_386,
      sha: '50c4adc5f38520181d86d23763b19dd7208dd03bb63a804bad804c638ecedecd',
    });
  });

  it('read with the estimates the earlier code gave', () => {
    expect(HyperLogLog.fromBytes(sparse).estimate()).toBe(100);
    expect(HyperLogLog.estimateOf(sparse)).toBe(100);
    expect(HyperLogLog.estimateOf(dense)).toBe(30_097);
    expect(HyperLogLog.fromBytes(dense).toBytes()).toEqual(dense);
  });

  it('are what a sketch past the exact limit still writes, byte for byte', () => {
    expect(sketchOf(ids(0, 30_000))).toEqual(dense);
    const million = new HyperLogLog();
    for (let i = 0; i < 1_000_000; i++) million.add(`legacy-${i}`);
    expect(sha256(million.toBytes())).toBe(
      '8c09e6ee7fec52ccf026ab86a4d1f628062e5d4ef0a492c7109e3b813521059d',
    );
    expect(million.estimate()).toBe(995_197);
  });

  it('take new visitors into their registers (they hold no hashes to be exact with)', () => {
    const more = ids(100, 400).map(visitorUpdate);
    expect(raiseSketchBytes(sparse, more)).toEqual(legacySketchOf(ids(0, 400)));
    expect(raiseSketchBytes(sparse, ids(0, 100).map(visitorUpdate))).toBeNull();
    expect(raiseSketchBytes(dense, ids(25_000, 35_000).map(visitorUpdate))).toEqual(
      legacySketchOf(ids(0, 35_000)),
    );
    const merged = HyperLogLog.fromBytes(sparse);
    const exact = new HyperLogLog();
    for (const id of ids(50, 400)) exact.add(id);
    merged.merge(exact);
    expect(merged.toBytes()).toEqual(legacySketchOf(ids(0, 400)));
    expect(HyperLogLog.union(exact, HyperLogLog.fromBytes(sparse)).toBytes()).toEqual(
      legacySketchOf(ids(0, 400)),
    );
  });
});
