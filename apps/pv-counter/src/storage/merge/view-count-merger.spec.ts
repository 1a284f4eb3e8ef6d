/**
 * ViewCountMerger against PostgreSQL: it adds what flushes recorded to page_views_daily with one
 * row version per page and merge, deletes it, never shows a view twice or not at all to a reader,
 * shares the rows between instances, runs on its schedule and at shutdown, and keeps the rows of
 * a merge that fails.
 */
import type { ShutdownCoordinator, ShutdownParticipant } from '@lib/lifecycle';
import { Registry } from 'prom-client';
import { waitFor } from '@test/support';
import { tableWritesDuring } from '../../../test/support/table-writes';
import { ViewCountMerger } from './view-count-merger';
import {
  mergeViewUpdates,
  PAGE_VIEW_UPDATES,
  PAGE_VIEWS_DAILY,
  PAGE_VIEWS_LIVE,
} from './view-updates.store';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';
import { withTwoTransactions } from '../../../test/support/two-transactions';

const DAY = '2026-03-01';

describe('ViewCountMerger', () => {
  let participants: ShutdownParticipant[] = [];
  let registry: Registry;
  // The mergers' shutdown (their final merge) runs before the database closes.
  const database = migratedDatabasePerTest('view-count-merger', {
    poolSize: 6,
    beforeClose: async () => {
      for (const participant of participants) await participant.run();
    },
  });

  beforeEach(() => {
    participants = [];
    registry = new Registry();
  });

  function merger(intervalMs = 60_000): ViewCountMerger {
    const shutdown = {
      register: (p: ShutdownParticipant) => participants.push(p),
    } as unknown as ShutdownCoordinator;
    return new ViewCountMerger(
      database.dataSource,
      { VIEW_MERGE_INTERVAL_MS: intervalMs },
      shutdown,
      registry,
    );
  }

  /**
   * Records one row of waiting views as a flush does, in `shard` (the flush writer's split into
   * shards is daily-views.writer.spec's).
   */
  async function recordFlush(views: Record<string, number>, day = DAY, shard = 0): Promise<void> {
    const pages = Object.keys(views).sort();
    await database.dataSource.query(
      `INSERT INTO ${PAGE_VIEW_UPDATES} (day, shard, page_ids, views) VALUES ($1, $2, $3, $4)`,
      [day, shard, pages, pages.map((page) => views[page])],
    );
  }

  async function merged(day = DAY): Promise<Record<string, number>> {
    const rows = (await database.dataSource.query(
      `SELECT page_id, views::int FROM ${PAGE_VIEWS_DAILY} WHERE day = $1 ORDER BY page_id`,
      [day],
    )) as Array<{ page_id: string; views: number }>;
    return Object.fromEntries(rows.map((r) => [r.page_id, r.views]));
  }

  async function waiting(): Promise<number> {
    const rows = (await database.dataSource.query(
      `SELECT count(*)::int AS n FROM ${PAGE_VIEW_UPDATES}`,
    )) as Array<{ n: number }>;
    return rows[0].n;
  }

  async function liveTotal(): Promise<number> {
    const rows = (await database.dataSource.query(
      `SELECT coalesce(sum(views), 0)::int AS n FROM ${PAGE_VIEWS_LIVE} WHERE day = $1`,
      [DAY],
    )) as Array<{ n: number }>;
    return rows[0].n;
  }

  it('adds the waiting views summed per page, one row version per page and merge, HOT once the row exists', async () => {
    await recordFlush({ '/a': 2, '/b': 1 });
    await recordFlush({ '/a': 3, '/c': 4 });
    await recordFlush({ '/a': 1 }, '2026-03-02');
    const first = await tableWritesDuring(database.dataSource, PAGE_VIEWS_DAILY, (runner) =>
      mergeViewUpdates(runner, 1_000, 1_000_000),
    );
    expect(first).toMatchObject({ inserted: 4, updated: 0 });
    expect(await merged()).toEqual({ '/a': 5, '/b': 1, '/c': 4 });
    expect(await merged('2026-03-02')).toEqual({ '/a': 1 });
    expect(await waiting()).toBe(0);

    await recordFlush({ '/a': 1, '/b': 1 });
    await recordFlush({ '/a': 1, '/d': 1 });
    const second = await tableWritesDuring(database.dataSource, PAGE_VIEWS_DAILY, (runner) =>
      mergeViewUpdates(runner, 1_000, 1_000_000),
    );
    expect(second).toMatchObject({ inserted: 1, updated: 2, hotUpdated: 2 });
    expect(await merged()).toEqual({ '/a': 7, '/b': 2, '/c': 4, '/d': 1 });
  });

  it('takes at most the given rows and pages per transaction (at least one row), oldest first', async () => {
    await recordFlush({ '/a': 1, '/b': 1 });
    await recordFlush({ '/a': 1, '/c': 1 });
    await recordFlush({ '/d': 1 });
    const byPages = await database.dataSource.transaction((manager) =>
      mergeViewUpdates(manager.queryRunner!, 10, 3),
    );
    expect(byPages).toEqual({ rows: 1, keys: 2, left: 2 });
    expect(await merged()).toEqual({ '/a': 1, '/b': 1 });
    const oversized = await database.dataSource.transaction((manager) =>
      mergeViewUpdates(manager.queryRunner!, 10, 1),
    );
    expect(oversized).toEqual({ rows: 1, keys: 2, left: 1 });
    const byRows = await database.dataSource.transaction((manager) =>
      mergeViewUpdates(manager.queryRunner!, 1, 100),
    );
    expect(byRows).toEqual({ rows: 1, keys: 1, left: 0 });
    expect(await merged()).toEqual({ '/a': 2, '/b': 1, '/c': 1, '/d': 1 });
    expect(await waiting()).toBe(0);
  });

  it('merges one shard when asked, and every shard otherwise', async () => {
    await recordFlush({ '/a': 1 }, DAY, 3);
    await recordFlush({ '/a': 2, '/b': 1 }, DAY, 3);
    await recordFlush({ '/c': 5 }, DAY, 8);
    const instance = merger();
    expect(await instance.mergeAll(Infinity, 3)).toBe(2);
    expect(await merged()).toEqual({ '/a': 3, '/b': 1 });
    expect(await instance.mergeAll(Infinity, 0)).toBe(0);
    expect(await instance.mergeAll()).toBe(1);
    expect(await merged()).toEqual({ '/a': 3, '/b': 1, '/c': 5 });
  });

  it('shows readers every view exactly once while merges run', async () => {
    let recorded = 0;
    for (let i = 0; i < 40; i++) {
      await recordFlush({ '/all': 1, [`/p${i % 7}`]: 2 });
      recorded += 3;
    }
    const instance = merger();
    let merging = true;
    const reads: number[] = [];
    const reader = (async () => {
      while (merging) reads.push(await liveTotal());
    })();
    // One row per transaction: 40 commits for the reader to straddle.
    while (
      (await database.dataSource.transaction((m) => mergeViewUpdates(m.queryRunner!, 1, 100)))
        .rows > 0
    );
    merging = false;
    await reader;
    expect(reads.length).toBeGreaterThan(5);
    expect(new Set(reads)).toEqual(new Set([recorded]));
    expect(await merged()).toMatchObject({ '/all': 40 });
    await instance.stop();
  });

  it('shares the rows between instances merging at once, each row merged once', async () => {
    for (let i = 0; i < 3_000; i++) await recordFlush({ '/all': 1, [`/p${i % 50}`]: 1 });
    const instances = [merger(), merger(), merger()];
    const rows = await Promise.all(instances.map((m) => m.mergeAll()));
    expect(rows.reduce((a, b) => a + b, 0)).toBe(3_000);
    const counts = await merged();
    expect(counts['/all']).toBe(3_000);
    for (let p = 0; p < 50; p++) expect(counts[`/p${p}`]).toBe(60);
    expect(await waiting()).toBe(0);
  }, 60_000);

  it('counts both of two merges adding the same new pages at once', async () => {
    const pages = Array.from({ length: 200 }, (_, i) => `/race${String(i).padStart(3, '0')}`);
    await recordFlush(Object.fromEntries(pages.map((p) => [p, 1])));
    await recordFlush(Object.fromEntries(pages.map((p) => [p, 2])));
    await withTwoTransactions(database.dataSource, async (first, second) => {
      expect((await mergeViewUpdates(first, 1, 1_000)).rows).toBe(1);
      // SKIP LOCKED: the second takes the other row; its upsert waits for the first's new rows.
      const racing = mergeViewUpdates(second, 1, 1_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.commitTransaction();
      expect((await racing).rows).toBe(1);
      await second.commitTransaction();
    });
    const counts = await merged();
    for (const page of pages) expect(counts[page]).toBe(3);
  });

  it('merges on its schedule, and what is left when stopped', async () => {
    await recordFlush({ '/a': 1 });
    const instance = merger(50);
    instance.onApplicationBootstrap();
    await waitFor(async () => ((await waiting()) === 0 ? true : undefined), {
      timeoutMs: 10_000,
      description: 'the scheduled merge',
    });
    expect(await merged()).toEqual({ '/a': 1 });
    await instance.stop();

    await recordFlush({ '/a': 2 });
    const later = merger(60_000); // a schedule that would not come round: only stop() merges
    later.onApplicationBootstrap();
    await later.stop();
    expect(await merged()).toEqual({ '/a': 3 });
    expect(await registry.getSingleMetricAsString('pv_view_merge_keys_total')).toContain(
      'pv_view_merge_keys_total 2',
    );
  });

  it('keeps every row of a merge that fails, and names the problem', async () => {
    await database.dataSource.query(
      `INSERT INTO ${PAGE_VIEWS_DAILY} (day, page_id, views) VALUES ($1, '/full', 9223372036854775807)`,
      [DAY],
    );
    await recordFlush({ '/a': 1, '/full': 1 });
    await recordFlush({ '/a': 1 });
    await expect(merger().mergeOnce()).rejects.toThrow('bigint out of range');
    expect(await waiting()).toBe(2);
    expect(
      await database.dataSource.query(`SELECT page_id FROM ${PAGE_VIEWS_DAILY} ORDER BY page_id`),
    ).toEqual([{ page_id: '/full' }]);
    expect(await registry.getSingleMetricAsString('pv_view_merge_duration_seconds')).toContain(
      'pv_view_merge_duration_seconds_count{outcome="failed"} 1',
    );
  });
});
