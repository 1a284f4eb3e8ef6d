/**
 * writeDailyViews against PostgreSQL (the migrated schema): views add up, sketches merge to what
 * one HyperLogLog of all the visitors holds, a flush's cost does not involve scanning the table,
 * and two writers racing on the same new keys both count.
 */
import { tmpdir } from 'node:os';
import { openDatabase, type OpenDatabase } from '@lib/database';
import { createThrowawayDatabase } from '../../../../test/support';
import { HyperLogLog, visitorUpdate } from '../hll/hyperloglog';
import type { DailyPageViews, VisitorTrail } from './daily-views';
import { PAGE_VIEWS_DAILY, writeDailyViews } from './daily-views.writer';

const DAY = '2026-03-01';

/** One flush's row for `pageId`: `views` views, the given visitors (none: no sketch). */
function row(pageId: string, views: number, visitors: readonly string[] = []): DailyPageViews {
  const trail = visitors.reduce<VisitorTrail | undefined>(
    (older, visitor) => (older === undefined ? visitorUpdate(visitor) : { older, newer: visitorUpdate(visitor) }),
    undefined,
  );
  return trail === undefined ? { day: DAY, pageId, views } : { day: DAY, pageId, views, visitors: trail };
}

function sketchOf(visitors: readonly string[]): Buffer {
  const hll = new HyperLogLog();
  for (const visitor of visitors) hll.add(visitor);
  return hll.toBytes();
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

  async function write(rows: readonly DailyPageViews[]): Promise<void> {
    await database.dataSource.transaction((manager) => writeDailyViews(manager.queryRunner!, byKey(rows)));
  }

  async function stored(): Promise<Map<string, { views: number; hll: Buffer | null }>> {
    const rows = (await database.dataSource.query(
      `SELECT page_id, views, hll FROM ${PAGE_VIEWS_DAILY} WHERE day = $1`,
      [DAY],
    )) as Array<{ page_id: string; views: string; hll: Buffer | null }>;
    return new Map(rows.map((r) => [r.page_id, { views: Number(r.views), hll: r.hll }]));
  }

  it('inserts new pages, then adds views and merges sketches into the stored rows', async () => {
    const dense = Array.from({ length: 6_000 }, (_, i) => `d${i}`); // beyond the sparse limit
    await write([row('/a', 2, ['v1', 'v2']), row('/b', 1), row('/dense', 6_000, dense)]);
    await write([row('/a', 3, ['v2', 'v3']), row('/b', 4, ['v9']), row('/c', 1, ['v1']), row('/dense', 1, ['d-new'])]);
    await write([row('/a', 1)]); // no visitor: the sketch stays as it is

    const rows = await stored();
    expect([...rows.keys()].sort()).toEqual(['/a', '/b', '/c', '/dense']);
    expect(rows.get('/a')).toEqual({ views: 6, hll: sketchOf(['v1', 'v2', 'v3']) });
    expect(rows.get('/b')).toEqual({ views: 5, hll: sketchOf(['v9']) });
    expect(rows.get('/c')).toEqual({ views: 1, hll: sketchOf(['v1']) });
    expect(rows.get('/dense')).toEqual({ views: 6_001, hll: sketchOf([...dense, 'd-new']) });
  });

  it('leaves a page without visitors without a sketch', async () => {
    await write([row('/none', 2)]);
    await write([row('/none', 1)]);
    expect((await stored()).get('/none')).toEqual({ views: 3, hll: null });
  });

  it('reaches the stored rows of a flush by key and row id, without scanning the table', async () => {
    // Enough stored rows, and a flush touching enough of them, that a join would be planned as
    // a sequential scan of the table hashed against the flush.
    const pages = Array.from({ length: 3_000 }, (_, i) => `/p${String(i).padStart(5, '0')}`);
    await write(pages.map((page) => row(page, 1, [`${page}-v`])));
    await database.dataSource.query(`ANALYZE ${PAGE_VIEWS_DAILY}`);

    const scans = await database.dataSource.transaction(async (manager) => {
      const runner = manager.queryRunner!;
      await writeDailyViews(runner, pages.filter((_, i) => i % 2 === 0).map((page) => row(page, 2, ['again'])));
      const [counts] = (await runner.query(
        'SELECT seq_scan, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = $1',
        [PAGE_VIEWS_DAILY],
      )) as Array<{ seq_scan: string; n_tup_upd: string }>;
      const [setting] = (await runner.query("SELECT current_setting('enable_seqscan') AS value")) as Array<{ value: string }>;
      return { seqScans: Number(counts.seq_scan), updated: Number(counts.n_tup_upd), seqScanAfter: setting.value };
    });
    // The planner setting the UPDATE runs under does not outlive it in the flush's transaction.
    expect(scans).toEqual({ seqScans: 0, updated: 1_500, seqScanAfter: 'on' });
    expect((await stored()).get('/p00000')).toEqual({ views: 3, hll: sketchOf(['/p00000-v', 'again']) });
  });

  it('counts both of two writers that insert the same new pages at once', async () => {
    const pages = Array.from({ length: 200 }, (_, i) => `/race${String(i).padStart(3, '0')}`);
    const first = database.dataSource.createQueryRunner();
    const second = database.dataSource.createQueryRunner();
    try {
      await first.startTransaction();
      await second.startTransaction();
      await writeDailyViews(first, pages.map((page) => row(page, 1, ['first'])));
      // The second writer's insert waits for the first's uncommitted rows, finds them committed,
      // and goes round again to lock and update them.
      const racing = writeDailyViews(second, pages.map((page) => row(page, 2, ['second'])));
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.commitTransaction();
      await racing;
      await second.commitTransaction();
    } finally {
      await first.release();
      await second.release();
    }
    const rows = await stored();
    for (const page of pages) expect(rows.get(page)).toEqual({ views: 3, hll: sketchOf(['first', 'second']) });
  });
});
