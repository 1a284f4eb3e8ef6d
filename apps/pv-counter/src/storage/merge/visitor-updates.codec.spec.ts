import { registerUpdate, visitorUpdate } from '../hll/visitor-hashes';
import {
  decodeVisitorUpdates,
  encodeVisitorUpdates,
  type VisitorUpdates,
} from './visitor-updates.codec';

const decoded = (entry: VisitorUpdates) => ({
  ...entry,
  hashes: BigUint64Array.from(entry.hashes),
  legacyUpdates: [],
});

/** A row as flushes wrote it before they recorded hashes: uint32 BE register updates, no version byte. */
function legacyRow(
  entries: ReadonlyArray<{ day: string; pageId: string; updates: number[] }>,
): Buffer {
  const parts: Buffer[] = [];
  for (const { day, pageId, updates } of entries) {
    const page = Buffer.from(pageId);
    const head = Buffer.alloc(16);
    head.write(day, 0, 'latin1');
    head.writeUInt16BE(page.length, 10);
    const count = Buffer.alloc(4 + 4 * updates.length);
    count.writeUInt32BE(updates.length, 0);
    updates.forEach((update, i) => count.writeUInt32BE(update, 4 + 4 * i));
    parts.push(head.subarray(0, 12), page, count);
  }
  return Buffer.concat(parts);
}

describe('visitor updates codec', () => {
  it('round-trips entries, unicode page ids, extreme hashes and entries without visitors', () => {
    const entries: VisitorUpdates[] = [
      { day: '2026-03-01', pageId: '/a', hashes: [0n, 63n, 1n << 63n, (1n << 64n) - 1n] },
      { day: '2026-03-01', pageId: '/ünï/コード/😀', hashes: [visitorUpdate('v1')] },
      { day: '2026-03-02', pageId: 'x'.repeat(200), hashes: [] },
      { day: '2026-03-02', pageId: '/b', hashes: BigUint64Array.of(7n, 7n) },
    ];
    const bytes = encodeVisitorUpdates(entries);
    expect(bytes[0]).toBe(2); // version: hashes
    expect(decodeVisitorUpdates(bytes)).toEqual(entries.map(decoded));
    expect(decodeVisitorUpdates(encodeVisitorUpdates([]))).toEqual([]);
  });

  it('decodes rows written before hashes, their register updates apart', () => {
    const updates = ['a', 'b', 'c'].map((id) => registerUpdate(visitorUpdate(id)));
    const row = legacyRow([
      { day: '2026-03-01', pageId: '/a', updates },
      { day: '2026-03-01', pageId: '/ü', updates: [] },
    ]);
    // The bytes the earlier encoder wrote for the first entry.
    expect(row.subarray(0, 30).toString('hex')).toBe(
      Buffer.from('2026-03-01').toString('hex') +
        '0002' +
        '2f61' +
        '00000003' +
        '000e6c41' +
        '00057581' +
        '0008c405',
    );
    expect(decodeVisitorUpdates(row)).toEqual([
      { day: '2026-03-01', pageId: '/a', hashes: new BigUint64Array(0), legacyUpdates: updates },
      { day: '2026-03-01', pageId: '/ü', hashes: new BigUint64Array(0), legacyUpdates: [] },
    ]);
    expect(decodeVisitorUpdates(Buffer.alloc(0))).toEqual([]);
  });

  it('refuses bytes that end inside an entry', () => {
    const bytes = encodeVisitorUpdates([{ day: '2026-03-01', pageId: '/a', hashes: [1n, 2n, 3n] }]);
    for (const cut of [5, 12, 16, 20, bytes.length - 1]) {
      expect(() => decodeVisitorUpdates(bytes.subarray(0, cut))).toThrow(RangeError);
    }
    expect(() => decodeVisitorUpdates(bytes.subarray(0, bytes.length - 1))).toThrow(
      /runs past the end/,
    );
  });

  it('refuses a day that is not YYYY-MM-DD', () => {
    expect(() => encodeVisitorUpdates([{ day: '2026-3-1', pageId: '/a', hashes: [] }])).toThrow(
      'visitor updates: day "2026-3-1" is not YYYY-MM-DD',
    );
  });
});
