import { badInputProblems as problems } from '@test/support';
import { parseExportDate, parseSnapshotParams } from './popular-products.params';

const now = new Date('2026-05-06T23:59:00Z');

describe('popular-products route parameters', () => {
  it('defaults the date to today (UTC)', () => {
    expect(parseExportDate({}, now)).toBe('2026-05-06');
    expect(parseExportDate({ date: '2024-02-29' }, now)).toBe('2024-02-29');
    expect(parseSnapshotParams({ storeId: 's-1' }, {}, now)).toEqual({
      storeId: 's-1',
      date: '2026-05-06',
    });
  });

  it.each([['2026-02-30'], ['2026-5-6'], ['yesterday'], ['']])('refuses date=%s', (date) => {
    expect(problems(() => parseExportDate({ date }, now))).toEqual([
      { field: 'date', problem: 'must be a calendar date YYYY-MM-DD' },
    ]);
  });

  it('reports every problem of the snapshot route', () => {
    expect(
      problems(() => parseSnapshotParams({ storeId: 'x'.repeat(101) }, { date: 'soon' }, now)),
    ).toEqual([
      { field: 'storeId', problem: 'must be at most 100 characters' },
      { field: 'date', problem: 'must be a calendar date YYYY-MM-DD' },
    ]);
    expect(problems(() => parseSnapshotParams({ storeId: 'a\u0000b' }, {}, now))).toEqual([
      { field: 'storeId', problem: 'must not contain control characters' },
    ]);
  });
});
