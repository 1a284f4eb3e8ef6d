/**
 * PageViewsQuery against PostgreSQL: counts are the merged views plus the views still waiting in
 * page_view_updates, for one page and for the top pages, where waiting views can lift a page
 * that is not among the merged top.
 */
import { appendViewUpdates, PAGE_VIEWS_DAILY } from '../merge/view-updates.store';
import { PageViewsQuery } from './page-views.query';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';

const DAY = '2026-03-01';

describe('PageViewsQuery', () => {
  const database = migratedDatabasePerTest('page-views-query', { poolSize: 2 });
  let query: PageViewsQuery;

  beforeEach(() => {
    query = new PageViewsQuery(database.dataSource);
  });

  async function mergedCounts(day: string, views: Record<string, number>): Promise<void> {
    for (const [pageId, count] of Object.entries(views))
      await database.dataSource.query(
        `INSERT INTO ${PAGE_VIEWS_DAILY} (day, page_id, views) VALUES ($1, $2, $3)`,
        [day, pageId, count],
      );
  }

  async function waitingFlush(day: string, views: Record<string, number>): Promise<void> {
    const updates = Object.keys(views)
      .sort()
      .map((pageId) => ({ day, pageId, views: views[pageId] }));
    await database.dataSource.transaction((manager) =>
      appendViewUpdates(manager.queryRunner!, updates),
    );
  }

  it('adds a page’s waiting views to its merged count, and gives zeros for a page without views', async () => {
    await mergedCounts(DAY, { '/a': 5, '/b': 1 });
    await waitingFlush(DAY, { '/a': 2, '/c': 3 });
    await waitingFlush(DAY, { '/a': 1 });
    await waitingFlush('2026-03-02', { '/a': 100 });
    expect(await query.ofPage('/a', DAY)).toEqual({
      pageId: '/a',
      date: DAY,
      views: 8,
      uniqueVisitors: 0,
    });
    expect(await query.ofPage('/b', DAY)).toMatchObject({ views: 1 });
    expect(await query.ofPage('/c', DAY)).toMatchObject({ views: 3 });
    expect(await query.ofPage('/none', DAY)).toEqual({
      pageId: '/none',
      date: DAY,
      views: 0,
      uniqueVisitors: 0,
    });
  });

  it('ranks merged plus waiting views: a page outside the merged top can enter it', async () => {
    await mergedCounts(DAY, { '/a': 10, '/b': 9, '/c': 8, '/d': 7, '/e': 1 });
    await waitingFlush(DAY, { '/e': 5, '/new': 4 });
    await waitingFlush(DAY, { '/e': 4, '/b': 1 });
    await waitingFlush('2026-03-02', { '/x': 50 });
    const top = await query.top(DAY, 3);
    expect(top.pages.map((p) => [p.pageId, p.views])).toEqual([
      ['/a', 10],
      ['/b', 10],
      ['/e', 10],
    ]);
    expect((await query.top(DAY, 10)).pages.map((p) => [p.pageId, p.views])).toEqual([
      ['/a', 10],
      ['/b', 10],
      ['/e', 10],
      ['/c', 8],
      ['/d', 7],
      ['/new', 4],
    ]);
    expect((await query.top('2026-03-02', 10)).pages).toEqual([
      { pageId: '/x', views: 50, uniqueVisitors: 0 },
    ]);
    expect((await query.top('2026-03-03', 10)).pages).toEqual([]);
  });
});
