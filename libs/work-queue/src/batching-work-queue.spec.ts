/**
 * BatchingWorkQueue against the machine's PostgreSQL: one flush is one transaction holding the
 * merged aggregates, the offsets and the processed ids; add() resolves only after COMMIT; a
 * transaction killed midway leaves nothing behind and its batch is written once on retry.
 */
import type { OpenDatabase } from '@lib/database';
import { waitFor } from '@test/support';
import type { QueryRunner } from 'typeorm';
import {
  aggregateQueue,
  appendQueue,
  dailyViews,
  dailyViewsShape,
  openTestDatabase,
  pageViewEvent,
  query,
  settledState,
  storedOffsets,
  upsertDailyViews,
  type DailyViews,
  type PageView,
} from '../test/work-queue.fixtures';
import type { BatchingWorkQueue } from './batching-work-queue';
import { OffsetLedger } from './offsets/offset-ledger';
import { WorkQueueClosedError } from './work-queue.errors';

describe('BatchingWorkQueue', () => {
  let database: OpenDatabase;
  let url: string;
  const queues: Array<BatchingWorkQueue<never, never>> = [];
  const track = <Q>(queue: Q): Q => {
    queues.push(queue as never);
    return queue;
  };

  beforeEach(async () => {
    ({ database, url } = await openTestDatabase('work_queue'));
  });

  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await database.close();
  });

  it('merges events by key and writes data, offsets and processed ids in one transaction', async () => {
    const batches: Array<{ size: number; txid: string; idsInside: number; idsOutside: number }> =
      [];
    const countIds = 'SELECT count(*)::int AS n FROM dedupe_ids'; // the only scope here
    const queue = track(
      aggregateQueue<PageView, DailyViews>(
        { dataSource: database.dataSource, defaults: { trackOffsets: true } },
        {
          name: 'daily',
          ...dailyViewsShape(),
          flushIntervalMs: 60_000, // only the explicit flush below writes
          write: async (runner, batch) => {
            const [{ txid }] = await runner.query('SELECT txid_current()::text AS txid');
            // The ids this flush claimed: visible in its transaction, not yet outside it.
            const [{ n: idsInside }] = await runner.query(countIds);
            const [{ n: idsOutside }] = await query<{ n: number }>(url, countIds);
            batches.push({ size: batch.length, txid, idsInside, idsOutside });
            await upsertDailyViews.run(runner, batch);
          },
        },
      ),
    );
    const adds: Array<Promise<void>> = [];
    for (let i = 0; i < 1_000; i++) {
      const view = { day: i % 2 ? '2026-03-01' : '2026-03-02', pageId: `p${i % 5}` };
      adds.push(queue.add(pageViewEvent(view, { partition: i % 3, offset: 1_000 + i })));
    }
    // The first add of an idle queue starts a flush at once; the rest wait for the next one.
    await queue.flush();
    await Promise.all(adds);

    const views = await dailyViews(url);
    expect(Object.values(views).reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Object.keys(views)).toHaveLength(10);
    expect(views['2026-03-02|p0']).toBe(100);
    const big = batches.find((b) => b.size > 1)!;
    expect(big.size).toBeLessThanOrEqual(10); // one value per key, one statement
    // Offsets: per partition the highest offset + 1.
    expect(await storedOffsets(url, 'wq-test')).toEqual({
      'page-views[0]': String(1_000 + 999 + 1),
      'page-views[1]': String(1_000 + 997 + 1),
      'page-views[2]': String(1_000 + 998 + 1),
    });
    // Same transaction: the rows written by the big flush carry its transaction id; its processed
    // ids (claimed under a savepoint, so with a subtransaction's id) became visible with its commit.
    const xmins = await query<{ source: string; xmin: string }>(
      url,
      `SELECT DISTINCT 'data' AS source, xmin::text FROM wq_test_daily_views WHERE xmin::text = $1
       UNION ALL SELECT DISTINCT 'offsets', xmin::text FROM consumer_offsets WHERE xmin::text = $1`,
      [big.txid],
    );
    expect(xmins.map((x) => x.source).sort()).toEqual(['data', 'offsets']);
    const before = batches.slice(0, batches.indexOf(big)).reduce((sum, b) => sum + b.idsInside, 0);
    expect(big.idsInside - before).toBeGreaterThan(0);
    expect(big.idsOutside).toBe(before);
    expect(await query(url, countIds)).toEqual([{ n: 1_000 }]);
  });

  it('resolves add() only after the flush holding the events has committed', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const queue = track(
      aggregateQueue<PageView, DailyViews>(
        { dataSource: database.dataSource },
        {
          name: 'gated',
          ...dailyViewsShape(),
          write: async (runner, batch) => {
            await upsertDailyViews.run(runner, batch);
            await gate; // written, not committed
          },
        },
      ),
    );
    const added = queue.add(pageViewEvent({ day: '2026-03-01', pageId: 'home' }));
    await waitFor(() => queue.status().flushRunningMs !== undefined);
    await new Promise((r) => setTimeout(r, 50));
    expect(await settledState(added)).toBe('pending');
    expect(await dailyViews(url)).toEqual({}); // not visible before COMMIT

    release();
    await added;
    expect(await dailyViews(url)).toEqual({ '2026-03-01|home': 1 });
  });

  it('leaves neither data nor offsets when the transaction dies midway, and writes the batch once on retry', async () => {
    let attempts = 0;
    const seenBeforeRetry: Array<Record<string, unknown>> = [];
    const ledger = new OffsetLedger();
    const queue = track(
      aggregateQueue<PageView, DailyViews>(
        { dataSource: database.dataSource, ledger, defaults: { trackOffsets: true } },
        {
          name: 'killed',
          ...dailyViewsShape(),
          flushIntervalMs: 60_000,
          backoff: { initialMs: 20, factor: 2, maxMs: 100 },
          write: async (runner: QueryRunner, batch) => {
            attempts++;
            if (attempts > 1) {
              seenBeforeRetry.push({
                views: await dailyViews(url),
                offsets: await storedOffsets(url, 'wq-test'),
              });
            }
            await upsertDailyViews.run(runner, batch);
            // The server ends this session after the data (and offsets) were written, before COMMIT.
            if (attempts === 1) await runner.query('SELECT pg_terminate_backend(pg_backend_pid())');
          },
        },
      ),
    );
    const adds = [0, 1, 2, 3].map((i) =>
      queue.add(
        pageViewEvent({ day: '2026-03-03', pageId: `p${i % 2}` }, { partition: 0, offset: 10 + i }),
      ),
    );
    await Promise.all(adds);

    expect(attempts).toBe(2);
    expect(seenBeforeRetry).toEqual([{ views: {}, offsets: {} }]);
    expect(await dailyViews(url)).toEqual({ '2026-03-03|p0': 2, '2026-03-03|p1': 2 });
    expect(await storedOffsets(url, 'wq-test')).toEqual({ 'page-views[0]': '14' });
    expect(queue.status().failing).toBeUndefined();
  });

  it('runs one flush at a time and batches what arrives during a slow flush', async () => {
    let running = 0;
    let maxRunning = 0;
    const sizes: number[] = [];
    const queue = track(
      appendQueue<PageView, { eventId: string; line: string }>(
        { dataSource: database.dataSource },
        {
          name: 'lines',
          dedupe: false,
          flushIntervalMs: 1,
          rowOf: (e) => ({ eventId: e.eventId, line: e.payload.pageId }),
          write: async (runner, batch) => {
            running++;
            maxRunning = Math.max(maxRunning, running);
            sizes.push(batch.length);
            await runner.query(
              'INSERT INTO log_lines (event_id, line) SELECT * FROM unnest($1::text[], $2::text[])',
              [batch.map((r) => r.eventId), batch.map((r) => r.line)],
            );
            await new Promise((r) => setTimeout(r, 40));
            running--;
          },
        },
      ),
    );
    const adds: Array<Promise<void>> = [];
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 10; j++)
        adds.push(queue.add(pageViewEvent({ day: 'd', pageId: `line-${i}-${j}` })));
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(adds);

    expect(maxRunning).toBe(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(200);
    expect(sizes.length).toBeLessThan(20); // events that arrived during a flush went out together
    const lines = await query<{ line: string }>(url, 'SELECT line FROM log_lines ORDER BY seq');
    expect(lines.map((l) => l.line)).toEqual(
      Array.from({ length: 200 }, (_, k) => `line-${Math.floor(k / 10)}-${k % 10}`),
    );
  });

  it('accepts add()s while closing, flushes them, then refuses new ones', async () => {
    const queue = track(
      aggregateQueue<PageView, DailyViews>(
        { dataSource: database.dataSource },
        {
          name: 'closing',
          ...dailyViewsShape(),
          flushIntervalMs: 60_000,
          write: (r, b) => upsertDailyViews.run(r, b),
        },
      ),
    );
    const first = queue.add(pageViewEvent({ day: '2026-03-04', pageId: 'a' }));
    await first;
    const second = queue.add(pageViewEvent({ day: '2026-03-04', pageId: 'a' })); // waits for the 60 s interval
    const closing = queue.close();
    const third = queue.add(pageViewEvent({ day: '2026-03-04', pageId: 'a' })); // still in the final flush
    await closing;
    await expect(Promise.all([second, third])).resolves.toBeDefined();
    await expect(
      queue.add(pageViewEvent({ day: '2026-03-04', pageId: 'a' })),
    ).rejects.toBeInstanceOf(WorkQueueClosedError);
    expect(await dailyViews(url)).toEqual({ '2026-03-04|a': 3 });
  });
});
