/**
 * writeDailyViews against PostgreSQL (the migrated schema): a flush records its views as one row
 * per day and shard for the view merge and its visitors as one row per shard for the sketch
 * merge, writes no row of the count table, and its views are readable at once (page_views_live).
 */
import { visitorUpdate } from '../hll/visitor-hashes';
import { decodeVisitorUpdates } from '../merge/visitor-updates.codec';
import { PAGE_VISITOR_UPDATES } from '../merge/visitor-updates.store';
import type { DailyPageViews, VisitorTrail } from './daily-page-views';
import { MERGE_SHARDS, shardOf } from '../merge/merge-shards';
import { PAGE_VIEW_UPDATES, PAGE_VIEWS_LIVE } from '../merge/view-updates.store';
import { PAGE_VIEWS_DAILY, writeDailyViews } from './daily-views.writer';
import { tableWritesDuring } from '../../../test/support/table-writes';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';
import { withTwoTransactions } from '../../../test/support/two-transactions';

const DAY = '2026-03-01';

/** One flush's row for `pageId`: `views` views, the given visitors (none: no trail). */
function row(pageId: string, views: number, visitors: readonly string[] = []): DailyPageViews {
  const trail = visitors.reduce<VisitorTrail | undefined>(
    (older, visitor) =>
      older === undefined ? visitorUpdate(visitor) : { older, newer: visitorUpdate(visitor) },
    undefined,
  );
  return trail === undefined
    ? { day: DAY, pageId, views }
    : { day: DAY, pageId, views, visitors: trail };
}

const byKey = (rows: readonly DailyPageViews[]) =>
  [...rows].sort((a, b) => (a.pageId < b.pageId ? -1 : a.pageId > b.pageId ? 1 : 0));

describe('writeDailyViews', () => {
  const database = migratedDatabasePerTest('daily-views-writer');

  /** Writes one flush (in key order, as the work queue does). */
  async function write(rows: readonly DailyPageViews[]): Promise<void> {
    await database.dataSource.transaction((manager) =>
      writeDailyViews(manager.queryRunner!, byKey(rows)),
    );
  }

  /** Views per page of DAY as readers see them. */
  async function views(): Promise<Map<string, number>> {
    const rows = (await database.dataSource.query(
      `SELECT page_id, views FROM ${PAGE_VIEWS_LIVE} WHERE day = $1`,
      [DAY],
    )) as Array<{ page_id: string; views: string }>;
    return new Map(rows.map((r) => [r.page_id, Number(r.views)]));
  }

  async function recordedViews(): Promise<unknown[]> {
    return database.dataSource.query(
      `SELECT day::text, shard, page_ids, views::int[] FROM ${PAGE_VIEW_UPDATES} ORDER BY id`,
    );
  }

  async function recordedVisitors(): Promise<unknown[]> {
    const rows = (await database.dataSource.query(
      `SELECT shard, updates FROM ${PAGE_VISITOR_UPDATES} ORDER BY id`,
    )) as Array<{ shard: number; updates: Buffer }>;
    return rows.map((r) => ({ shard: r.shard, entries: decodeVisitorUpdates(r.updates) }));
  }

  it('records each flush views as one row per day and shard, pages in key order, and writes no count row', async () => {
    const pages = Array.from({ length: 40 }, (_, i) => `/p${String(i).padStart(2, '0')}`);
    const first = await tableWritesDuring(database.dataSource, PAGE_VIEWS_DAILY, (runner) =>
      writeDailyViews(runner, byKey(pages.map((page, i) => row(page, i + 1)))),
    );
    expect(first.versions).toBe(0);
    const nextDay = { day: '2026-03-02', pageId: '/p00', views: 7 };
    await database.dataSource.transaction((manager) =>
      writeDailyViews(manager.queryRunner!, [row('/p01', 1), nextDay]),
    );
    const expected: Array<{ day: string; shard: number; page_ids: string[]; views: number[] }> = [];
    for (let shard = 0; shard < MERGE_SHARDS; shard++) {
      const inShard = pages.filter((page) => shardOf(page) === shard);
      if (inShard.length > 0)
        expected.push({
          day: DAY,
          shard,
          page_ids: inShard,
          views: inShard.map((page) => pages.indexOf(page) + 1),
        });
    }
    expect(expected.length).toBeGreaterThan(5); // 40 pages spread over the shards
    expected.push({ day: DAY, shard: shardOf('/p01'), page_ids: ['/p01'], views: [1] });
    expected.push({ day: '2026-03-02', shard: shardOf('/p00'), page_ids: ['/p00'], views: [7] });
    expect(await recordedViews()).toEqual(expected);
    const counted = await views();
    expect(counted.get('/p01')).toBe(3);
    expect(counted.get('/p39')).toBe(40);
    expect(counted.size).toBe(40);
  });

  it('records each flush visitors as one row of visitor hashes per shard, pages without visitors left out', async () => {
    await write([row('/a', 2, ['v1', 'v2']), row('/b', 1), row('/c', 5, ['v3'])]);
    await write([row('/b', 4)]); // no visitors at all: no row
    await write([row('/a', 3, ['v2'])]);
    const recorded = (pageId: string, visitors: string[]) => ({
      day: DAY,
      pageId,
      hashes: BigUint64Array.from(visitors.map(visitorUpdate)),
      legacyUpdates: [],
    });
    const a = recorded('/a', ['v1', 'v2']);
    const c = recorded('/c', ['v3']);
    const firstFlush =
      shardOf('/a') === shardOf('/c')
        ? [{ shard: shardOf('/a'), entries: [a, c] }]
        : [
            { shard: shardOf('/a'), entries: [a] },
            { shard: shardOf('/c'), entries: [c] },
          ].sort((x, y) => x.shard - y.shard);
    expect(await recordedVisitors()).toEqual([
      ...firstFlush,
      {
        shard: shardOf('/a'),
        entries: [recorded('/a', ['v2'])],
      },
    ]);
  });

  it('records nothing of a flush whose transaction rolls back', async () => {
    await expect(
      database.dataSource.transaction(async (manager) => {
        await writeDailyViews(manager.queryRunner!, [row('/a', 1, ['v1'])]);
        throw new Error('flush failed after the write');
      }),
    ).rejects.toThrow('flush failed after the write');
    expect(await views()).toEqual(new Map());
    expect(await recordedVisitors()).toEqual([]);
  });

  it('counts both of two flushes of the same new pages committing at once', async () => {
    const pages = Array.from({ length: 200 }, (_, i) => `/race${String(i).padStart(3, '0')}`);
    await withTwoTransactions(database.dataSource, async (first, second) => {
      await writeDailyViews(
        first,
        pages.map((page) => row(page, 1, ['first'])),
      );
      // Each flush only inserts its own row: neither waits for the other.
      await writeDailyViews(
        second,
        pages.map((page) => row(page, 2, ['second'])),
      );
      await second.commitTransaction();
      await first.commitTransaction();
    });
    const counted = await views();
    for (const page of pages) expect(counted.get(page)).toBe(3);
    const visitorRows = (await recordedVisitors()) as Array<{ shard: number }>;
    expect(new Set(visitorRows.map((r) => r.shard)).size).toBeGreaterThan(5);
    expect(visitorRows.length).toBe(2 * new Set(pages.map(shardOf)).size);
  });
});
