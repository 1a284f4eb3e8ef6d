/**
 * Migration PageVisitorSketches against PostgreSQL: the sketches stored in page_views_daily move
 * to page_visitors_daily with the counts left in place, and reverting moves them back.
 */
import { createThrowawayDatabase } from '@test/support';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from '../data-source-options';
import { ALL_MIGRATIONS } from './index';
import { PageVisitorSketches1795740000000 } from './1795740000000-PageVisitorSketches';

describe('migration PageVisitorSketches', () => {
  const before = ALL_MIGRATIONS.slice(0, ALL_MIGRATIONS.indexOf(PageVisitorSketches1795740000000));
  const upToIt = ALL_MIGRATIONS.slice(0, before.length + 1);
  const sources: DataSource[] = [];

  async function migrated(url: string, migrations: typeof ALL_MIGRATIONS): Promise<DataSource> {
    const source = new DataSource({ ...createDataSourceOptions(url, 2), migrations } as never);
    sources.push(source);
    await source.initialize();
    await source.runMigrations({ transaction: 'each' });
    return source;
  }

  afterEach(async () => {
    for (const source of sources.splice(0)) await source.destroy();
  });

  it('moves the stored sketches out of page_views_daily, and back when reverted', async () => {
    const url = await createThrowawayDatabase('page-visitor-sketches');
    const old = await migrated(url, before);
    await old.query(
      `INSERT INTO page_views_daily (day, page_id, views, hll) VALUES
         ('2026-03-01', '/a', 5, '\\x0102'::bytea), ('2026-03-01', '/b', 2, NULL), ('2026-03-02', '/a', 1, '\\x0103'::bytea)`,
    );
    await old.destroy();
    sources.pop();

    const current = await migrated(url, upToIt);
    expect(
      await current.query(
        'SELECT day::text, page_id, views::int FROM page_views_daily ORDER BY day, page_id',
      ),
    ).toEqual([
      { day: '2026-03-01', page_id: '/a', views: 5 },
      { day: '2026-03-01', page_id: '/b', views: 2 },
      { day: '2026-03-02', page_id: '/a', views: 1 },
    ]);
    expect(
      await current.query(
        'SELECT day::text, page_id, hll FROM page_visitors_daily ORDER BY day, page_id',
      ),
    ).toEqual([
      { day: '2026-03-01', page_id: '/a', hll: Buffer.from([1, 2]) },
      { day: '2026-03-02', page_id: '/a', hll: Buffer.from([1, 3]) },
    ]);
    expect(await current.query('SELECT count(*)::int AS n FROM page_visitor_updates')).toEqual([
      { n: 0 },
    ]);

    await current.undoLastMigration({ transaction: 'each' });
    expect(
      await current.query(
        'SELECT day::text, page_id, views::int, hll FROM page_views_daily ORDER BY day, page_id',
      ),
    ).toEqual([
      { day: '2026-03-01', page_id: '/a', views: 5, hll: Buffer.from([1, 2]) },
      { day: '2026-03-01', page_id: '/b', views: 2, hll: null },
      { day: '2026-03-02', page_id: '/a', views: 1, hll: Buffer.from([1, 3]) },
    ]);
    expect(
      await current.query(
        "SELECT to_regclass('page_visitors_daily') AS t, to_regclass('page_visitor_updates') AS u",
      ),
    ).toEqual([{ t: null, u: null }]);
  });
});
