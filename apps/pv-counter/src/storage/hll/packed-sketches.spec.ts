import { packSketches } from './packed-sketches';

describe('packSketches', () => {
  it('concatenates the sketches and gives each row its 1-based start and length, -1 for none', () => {
    const packed = packSketches([
      Buffer.from([1, 2, 3]),
      null,
      Buffer.from([]),
      Buffer.from([9, 8]),
    ]);
    expect([...packed.bytes]).toEqual([1, 2, 3, 9, 8]);
    expect(packed.starts).toEqual([1, 4, 4, 4]);
    expect(packed.lengths).toEqual([3, -1, 0, 2]);
  });

  it('packs no rows, or rows without sketches, into no bytes', () => {
    expect(packSketches([])).toEqual({ bytes: Buffer.alloc(0), starts: [], lengths: [] });
    expect(packSketches([null, null])).toEqual({
      bytes: Buffer.alloc(0),
      starts: [1, 1],
      lengths: [-1, -1],
    });
  });
});
