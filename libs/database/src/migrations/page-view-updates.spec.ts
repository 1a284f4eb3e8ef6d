/**
 * Migration PageViewUpdates against PostgreSQL: page_views_live adds the waiting views of
 * page_view_updates to page_views_daily, and reverting adds them to page_views_daily for good.
 */
import { createThrowawayDatabase } from '@test/support';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from '../data-source-options';
import { ALL_MIGRATIONS } from './index';
import { PageViewUpdates1795750000000 } from './1795750000000-PageViewUpdates';

describe('migration PageViewUpdates', () => {
  const upToIt = ALL_MIGRATIONS.slice(0, ALL_MIGRATIONS.indexOf(PageViewUpdates1795750000000) + 1);
  let source: DataSource | undefined;

  afterEach(async () => {
    await source?.destroy();
    source = undefined;
  });

  it('reads merged and waiting views together, and merges the waiting ones when reverted', async () => {
    const url = await createThrowawayDatabase('page-view-updates');
    const older = new DataSource({
      ...createDataSourceOptions(url, 2),
      migrations: upToIt.slice(0, -1),
    } as never);
    await older.initialize();
    await older.runMigrations({ transaction: 'each' });
    await older.query("INSERT INTO page_visitor_updates (updates) VALUES ('\\x01'::bytea)");
    await older.destroy();
    source = new DataSource({ ...createDataSourceOptions(url, 2), migrations: upToIt } as never);
    await source.initialize();
    await source.runMigrations({ transaction: 'each' });
    const fillfactors = () =>
      source!.query(
        "SELECT relname, reloptions FROM pg_class WHERE relname IN ('page_views_daily', 'page_visitors_daily') ORDER BY relname",
      );
    expect(await fillfactors()).toEqual([
      { relname: 'page_views_daily', reloptions: ['fillfactor=40'] },
      { relname: 'page_visitors_daily', reloptions: ['fillfactor=40'] },
    ]);
    // Visitor rows from before hold every shard: they are merged with shard 0.
    expect(await source.query('SELECT shard FROM page_visitor_updates')).toEqual([{ shard: 0 }]);
    await source.query(
      `INSERT INTO page_views_daily (day, page_id, views) VALUES ('2026-03-01', '/a', 5), ('2026-03-01', '/b', 2)`,
    );
    await source.query(
      `INSERT INTO page_view_updates (day, shard, page_ids, views) VALUES
         ('2026-03-01', 1, '{/a,/c}', '{1,4}'), ('2026-03-01', 1, '{/a}', '{2}'), ('2026-03-02', 2, '{/a}', '{7}')`,
    );
    const expected = [
      { day: '2026-03-01', page_id: '/a', views: 8 },
      { day: '2026-03-01', page_id: '/b', views: 2 },
      { day: '2026-03-01', page_id: '/c', views: 4 },
      { day: '2026-03-02', page_id: '/a', views: 7 },
    ];
    expect(
      await source.query(
        'SELECT day::text, page_id, views::int FROM page_views_live ORDER BY day, page_id',
      ),
    ).toEqual(expected);
    await expect(
      source.query(
        `INSERT INTO page_view_updates (day, shard, page_ids, views) VALUES ('2026-03-01', 0, '{/a,/b}', '{1}')`,
      ),
    ).rejects.toThrow(/check constraint/);

    await source.undoLastMigration({ transaction: 'each' });
    expect(
      await source.query(
        'SELECT day::text, page_id, views::int FROM page_views_daily ORDER BY day, page_id',
      ),
    ).toEqual(expected);
    expect(
      await source.query(
        "SELECT to_regclass('page_view_updates') AS t, to_regclass('page_views_live') AS v",
      ),
    ).toEqual([{ t: null, v: null }]);
    expect(await source.query('SELECT * FROM page_visitor_updates')).toEqual([
      { id: expect.any(String), updates: Buffer.from([1]) },
    ]);
    expect(await fillfactors()).toEqual([
      { relname: 'page_views_daily', reloptions: ['fillfactor=70'] },
      { relname: 'page_visitors_daily', reloptions: ['fillfactor=70'] },
    ]);
  });
});
