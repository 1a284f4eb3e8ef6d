/**
 * writeDailyViews against PostgreSQL (the migrated schema): views add up with one HOT row version
 * per key and flush, the flush's visitors are recorded as one row for the sketch merge, and two
 * writers racing on the same new keys both count.
 */
import { tmpdir } from 'node:os';
import { openDatabase, type OpenDatabase } from '@lib/database';
import { createThrowawayDatabase } from '../../../../test/support';
import { visitorUpdate } from '../hll/hyperloglog';
import { decodeVisitorUpdates } from '../sketches/visitor-updates.codec';
import { PAGE_VISITOR_UPDATES } from '../sketches/visitor-updates.store';
import type { DailyPageViews, VisitorTrail } from './daily-views';
import { PAGE_VIEWS_DAILY, writeDailyViews } from './daily-views.writer';
import { tableWritesDuring } from '../../test/support/table-writes';

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
  let database: OpenDatabase;

  beforeEach(async () => {
    const url = await createThrowawayDatabase('daily-views-writer');
    database = await openDatabase({ DATABASE_URL: url, DATA_DIR: tmpdir(), DATABASE_POOL_SIZE: 4 });
  });

  afterEach(async () => {
    await database.close();
  });

  /** Writes one flush; returns the row versions it wrote to the count table and how many of them were HOT updates. */
  async function write(
    rows: readonly DailyPageViews[],
  ): Promise<{ versions: number; hot: number }> {
    const { versions, hotUpdated } = await tableWritesDuring(
      database.dataSource,
      PAGE_VIEWS_DAILY,
      (runner) => writeDailyViews(runner, byKey(rows)),
    );
    return { versions, hot: hotUpdated };
  }

  async function views(): Promise<Map<string, number>> {
    const rows = (await database.dataSource.query(
      `SELECT page_id, views FROM ${PAGE_VIEWS_DAILY} WHERE day = $1`,
      [DAY],
    )) as Array<{ page_id: string; views: string }>;
    return new Map(rows.map((r) => [r.page_id, Number(r.views)]));
  }

  async function recordedVisitors(): Promise<unknown[]> {
    const rows = (await database.dataSource.query(
      `SELECT updates FROM ${PAGE_VISITOR_UPDATES} ORDER BY id`,
    )) as Array<{
      updates: Buffer;
    }>;
    return rows.map((r) => decodeVisitorUpdates(r.updates));
  }

  it('inserts new pages, then adds views with one HOT row version per page and flush', async () => {
    expect(await write([row('/a', 2, ['v1', 'v2']), row('/b', 1), row('/c', 5, ['v3'])])).toEqual({
      versions: 3,
      hot: 0,
    });
    expect(await write([row('/a', 3, ['v2']), row('/b', 4), row('/d', 1)])).toEqual({
      versions: 3,
      hot: 2,
    });
    expect(await views()).toEqual(
      new Map([
        ['/a', 5],
        ['/b', 5],
        ['/c', 5],
        ['/d', 1],
      ]),
    );
  });

  it('records each flush visitors as one row of register updates per page, pages without visitors left out', async () => {
    await write([row('/a', 2, ['v1', 'v2']), row('/b', 1), row('/c', 5, ['v3'])]);
    await write([row('/b', 4)]); // no visitors at all: no row
    await write([row('/a', 3, ['v2'])]);
    expect(await recordedVisitors()).toEqual([
      [
        { day: DAY, pageId: '/a', updates: [visitorUpdate('v1'), visitorUpdate('v2')] },
        { day: DAY, pageId: '/c', updates: [visitorUpdate('v3')] },
      ],
      [{ day: DAY, pageId: '/a', updates: [visitorUpdate('v2')] }],
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

  it('counts both of two writers that insert the same new pages at once', async () => {
    const pages = Array.from({ length: 200 }, (_, i) => `/race${String(i).padStart(3, '0')}`);
    const first = database.dataSource.createQueryRunner();
    const second = database.dataSource.createQueryRunner();
    try {
      await first.startTransaction();
      await second.startTransaction();
      await writeDailyViews(
        first,
        pages.map((page) => row(page, 1, ['first'])),
      );
      // The second writer's upsert waits for the first's uncommitted rows, then adds to them.
      const racing = writeDailyViews(
        second,
        pages.map((page) => row(page, 2, ['second'])),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.commitTransaction();
      await racing;
      await second.commitTransaction();
    } finally {
      await first.release();
      await second.release();
    }
    const counted = await views();
    for (const page of pages) expect(counted.get(page)).toBe(3);
    expect(await recordedVisitors()).toHaveLength(2);
  });
});
