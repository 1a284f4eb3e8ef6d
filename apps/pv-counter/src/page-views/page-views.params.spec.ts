import { badInputProblems as problems } from '@test/support';
import { parsePageViewsParams, parseTopPagesParams } from './page-views.params';

const now = new Date('2026-05-06T23:59:00Z');

describe('page-views read parameters', () => {
  it('defaults the date to today (UTC) and the limit to 10', () => {
    expect(parsePageViewsParams({ pageId: 'home' }, {}, now)).toEqual({
      pageId: 'home',
      date: '2026-05-06',
    });
    expect(parseTopPagesParams({}, now)).toEqual({ date: '2026-05-06', limit: 10 });
    expect(parseTopPagesParams({ date: '2024-02-29', limit: '100' }, now)).toEqual({
      date: '2024-02-29',
      limit: 100,
    });
    expect(parseTopPagesParams({ limit: '1' }, now).limit).toBe(1);
  });

  it.each([
    ['2026-02-30'],
    ['2026-13-01'],
    ['06-05-2026'],
    ['2026-5-6'],
    ['0000-01-01'],
    ['today'],
    [''],
  ])('refuses date=%s with a detail', (date) => {
    expect(problems(() => parseTopPagesParams({ date }, now))).toEqual([
      expect.objectContaining({ field: 'date' }),
    ]);
    expect(problems(() => parsePageViewsParams({ pageId: 'home' }, { date }, now))).toEqual([
      expect.objectContaining({ field: 'date' }),
    ]);
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['ten'], ['9999999999']])(
    'refuses limit=%s',
    (limit) => {
      expect(problems(() => parseTopPagesParams({ limit }, now))).toEqual([
        { field: 'limit', problem: 'must be an integer between 1 and 100' },
      ]);
    },
  );

  it('refuses a page id that is too long or has control characters, and reports every problem', () => {
    expect(problems(() => parsePageViewsParams({ pageId: 'x'.repeat(201) }, {}, now))).toEqual([
      { field: 'pageId', problem: 'must be at most 200 characters' },
    ]);
    expect(
      problems(() => parsePageViewsParams({ pageId: 'a\u0007b' }, { date: 'nope' }, now)),
    ).toEqual([
      { field: 'pageId', problem: 'must not contain control characters' },
      expect.objectContaining({ field: 'date' }),
    ]);
    expect(parsePageViewsParams({ pageId: 'x'.repeat(200) }, {}, now).pageId).toHaveLength(200);
  });
});
