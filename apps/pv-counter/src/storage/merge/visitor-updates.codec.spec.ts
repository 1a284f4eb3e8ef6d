import {
  decodeVisitorUpdates,
  encodeVisitorUpdates,
  type VisitorUpdates,
} from './visitor-updates.codec';

describe('visitor updates codec', () => {
  it('round-trips entries, unicode page ids and entries without updates included', () => {
    const entries: VisitorUpdates[] = [
      { day: '2026-03-01', pageId: '/a', updates: [0, 63, 1_048_575, 4_294_967_295] },
      { day: '2026-03-01', pageId: '/ünï/コード/😀', updates: [7] },
      { day: '2026-03-02', pageId: 'x'.repeat(200), updates: [] },
    ];
    expect(decodeVisitorUpdates(encodeVisitorUpdates(entries))).toEqual(entries);
    expect(decodeVisitorUpdates(encodeVisitorUpdates([]))).toEqual([]);
  });

  it('refuses bytes that end inside an entry', () => {
    const bytes = encodeVisitorUpdates([{ day: '2026-03-01', pageId: '/a', updates: [1, 2, 3] }]);
    for (const cut of [5, 12, 16, bytes.length - 1]) {
      expect(() => decodeVisitorUpdates(bytes.subarray(0, cut))).toThrow(RangeError);
    }
    expect(() => decodeVisitorUpdates(bytes.subarray(0, bytes.length - 1))).toThrow(
      /runs past the end/,
    );
  });

  it('refuses a day that is not YYYY-MM-DD', () => {
    expect(() => encodeVisitorUpdates([{ day: '2026-3-1', pageId: '/a', updates: [] }])).toThrow(
      'visitor updates: day "2026-3-1" is not YYYY-MM-DD',
    );
  });
});
