/**
 * Offsets stored with the data, fenced against other consumers: a flush whose expected offset
 * was moved on by another writer applies nothing of that partition and reports it; a reload of
 * the offsets (reassignment) drops what was buffered under the old assignment.
 */
import type { OpenDatabase } from '@lib/database';
import { RedeliverError } from '@lib/queue';
import { waitFor } from '@test/support';
import { Client } from 'pg';
import {
  aggregateQueue,
  dailyViews,
  dailyViewsShape,
  openTestDatabase,
  pageViewEvent,
  settledState,
  storedOffsets,
  upsertDailyViews,
  type DailyViews,
  type PageView,
} from '../../test/work-queue.fixtures';
import type { BatchingWorkQueue } from '../batching-work-queue';
import {
  PartitionFencedError,
  WorkDiscardedError,
  WorkQueueConfigError,
} from '../work-queue.errors';
import { OffsetLedger } from './offset-ledger';
import { PgOffsetStore } from './pg-offset-store';

const GROUP = 'wq-test';

describe('offset fencing', () => {
  let database: OpenDatabase;
  let url: string;
  let ledger: OffsetLedger;
  let store: PgOffsetStore;
  let queue: BatchingWorkQueue<PageView, DailyViews>;

  function createQueue(name = 'fenced', flushIntervalMs = 60_000) {
    return aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource, ledger, defaults: { trackOffsets: true } },
      { name, ...dailyViewsShape(), flushIntervalMs, write: (r, b) => upsertDailyViews.run(r, b) },
    );
  }

  /** The other consumer: writes an offset as the new owner of the partition would. */
  async function otherConsumerStores(partition: number, nextOffset: number): Promise<void> {
    await database.dataSource.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, 'page-views', $2, $3)
       ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset`,
      [GROUP, partition, nextOffset],
    );
  }

  const view = (pageId: string) => ({ day: '2026-04-01', pageId });

  beforeEach(async () => {
    ({ database, url } = await openTestDatabase('offset_fencing'));
    ledger = new OffsetLedger();
    store = new PgOffsetStore(database.dataSource, ledger);
    await otherConsumerStores(0, 100);
    queue = createQueue();
  });

  afterEach(async () => {
    await queue.close();
    await database.close();
  });

  it('loads stored offsets and advances them with each flush', async () => {
    expect(await store.load(GROUP, 'page-views')).toEqual([{ partition: 0, nextOffset: '100' }]);
    const first = queue.add(
      [100, 101, 102].map((offset) => pageViewEvent(view('a'), { partition: 0, offset })),
    );
    await first; // an idle queue flushes its first events at once
    const second = queue.add(pageViewEvent(view('a'), { partition: 0, offset: 103 }));
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '103' });
    await queue.flush(); // the next one would wait for the interval
    await second;
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '104' });
    expect(await dailyViews(url)).toEqual({ '2026-04-01|a': 4 });
  });

  it('drops a partition another consumer moved on, reports it, and still commits the others', async () => {
    await store.load(GROUP, 'page-views');
    const first = queue.add(pageViewEvent(view('warm-up'), { partition: 1, offset: 0 }));
    await first; // partition 1 had no row: claimed by inserting it

    const fencedReports: PartitionFencedError[] = [];
    queue.onFenced((errors) => fencedReports.push(...errors));
    const onP0 = queue.add(
      [100, 101].map((offset) => pageViewEvent(view('p0-page'), { partition: 0, offset })),
    );
    const onP1 = queue.add(pageViewEvent(view('p1-page'), { partition: 1, offset: 1 }));
    // A rebalance gave partition 0 away; its new owner read 100..149 and committed before us.
    await otherConsumerStores(0, 150);
    await queue.flush().catch(() => undefined);

    await expect(onP1).resolves.toBeUndefined();
    const error = await onP0.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PartitionFencedError);
    expect(error).toBeInstanceOf(WorkDiscardedError);
    expect(error).toBeInstanceOf(RedeliverError); // the transport reads the partition again
    expect(error).toMatchObject({
      topic: 'page-views',
      partition: 0,
      expectedOffset: '100',
      storedOffset: '150',
      reason: 'fenced',
    });
    expect(fencedReports.map((e) => [e.partition, e.storedOffset])).toEqual([[0, '150']]);
    expect(await dailyViews(url)).toEqual({ '2026-04-01|warm-up': 1, '2026-04-01|p1-page': 1 });
    expect(await storedOffsets(url, GROUP)).toEqual({
      'page-views[0]': '150',
      'page-views[1]': '2',
    });
  });

  it('takes a partition whose stored offset is already the next one of the batch as applied, writing nothing again', async () => {
    await store.load(GROUP, 'page-views');
    await queue.add(pageViewEvent(view('warm-up'), { partition: 1, offset: 0 }));
    const fencedReports: PartitionFencedError[] = [];
    queue.onFenced((errors) => fencedReports.push(...errors));
    const onP0 = queue.add(
      [100, 101].map((offset) => pageViewEvent(view('p0-page'), { partition: 0, offset })),
    );
    // What an earlier attempt of this flush leaves when its COMMIT landed after the attempt had
    // timed out here: exactly this batch's next offset (its data is the attempt's to have written).
    await otherConsumerStores(0, 102);
    await queue.flush();

    await expect(onP0).resolves.toBeUndefined();
    expect(fencedReports).toEqual([]);
    expect(await dailyViews(url)).toEqual({ '2026-04-01|warm-up': 1 });
    expect(await storedOffsets(url, GROUP)).toEqual({
      'page-views[0]': '102',
      'page-views[1]': '1',
    });
  });

  it('waits for a concurrent writer holding the row and is fenced when it commits', async () => {
    await store.load(GROUP, 'page-views');
    const rival = new Client({ connectionString: url });
    await rival.connect();
    try {
      await rival.query('BEGIN');
      await rival.query(
        "UPDATE consumer_offsets SET next_offset = 300 WHERE group_id = $1 AND topic = 'page-views' AND partition = 0",
        [GROUP],
      );
      const added = queue.add(pageViewEvent(view('late'), { partition: 0, offset: 100 }));
      void queue.flush().catch(() => undefined);
      await waitFor(() => queue.status().flushRunningMs !== undefined);
      await new Promise((r) => setTimeout(r, 150));
      expect(await settledState(added)).toBe('pending'); // blocked on the rival's row lock

      await rival.query('COMMIT');
      await expect(added).rejects.toMatchObject({
        name: 'PartitionFencedError',
        storedOffset: '300',
      });
    } finally {
      await rival.end();
    }
    expect(await dailyViews(url)).toEqual({});
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '300' });
  });

  it('goes through when a concurrent writer holding the row rolls back', async () => {
    await store.load(GROUP, 'page-views');
    const rival = new Client({ connectionString: url });
    await rival.connect();
    try {
      await rival.query('BEGIN');
      await rival.query(
        'UPDATE consumer_offsets SET next_offset = 300 WHERE group_id = $1 AND partition = 0',
        [GROUP],
      );
      const added = queue.add(pageViewEvent(view('kept'), { partition: 0, offset: 100 }));
      void queue.flush();
      await new Promise((r) => setTimeout(r, 100));
      await rival.query('ROLLBACK');
      await added;
    } finally {
      await rival.end();
    }
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '101' });
  });

  it('drops events buffered under the previous assignment when the offsets are reloaded', async () => {
    await store.load(GROUP, 'page-views');
    await queue.add(pageViewEvent(view('warm-up'), { partition: 1, offset: 0 })); // the next flush waits 60 s
    const stale = queue.add(pageViewEvent(view('stale'), { partition: 0, offset: 100 }));
    await store.load(GROUP, 'page-views'); // reassigned: the transport seeks back to 100
    await expect(stale).rejects.toMatchObject({ name: 'WorkDiscardedError', reason: 'reassigned' });

    const fresh = queue.add(pageViewEvent(view('fresh'), { partition: 0, offset: 100 }));
    await queue.flush();
    await fresh;
    expect(await dailyViews(url)).toEqual({ '2026-04-01|warm-up': 1, '2026-04-01|fresh': 1 });
    expect(await storedOffsets(url, GROUP)).toEqual({
      'page-views[0]': '101',
      'page-views[1]': '1',
    });
  });

  it('does not let a flush that began before a reload advance the new assignment', async () => {
    await store.load(GROUP, 'page-views');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    await queue.close();
    queue = aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource, ledger, defaults: { trackOffsets: true } },
      {
        name: 'slow',
        ...dailyViewsShape(),
        flushIntervalMs: 60_000,
        write: async (r, b) => {
          await gate;
          await upsertDailyViews.run(r, b);
        },
      },
    );
    const inFlight = queue.add(pageViewEvent(view('x'), { partition: 0, offset: 100 }));
    await waitFor(() => queue.status().flushRunningMs !== undefined);
    await store.load(GROUP, 'page-views'); // reads 100: the slow flush has not committed
    release();
    await inFlight; // it committed 100 → 101 (fenced by nobody: the row still said 100)

    // The transport re-read offset 100 under the new assignment: that copy must not count again.
    // The stored offset is already its batch's next one (101), so it is taken as applied: the
    // caller hears "done" (the transport may commit it) and nothing is written twice.
    const again = queue.add(pageViewEvent(view('x'), { partition: 0, offset: 100 }));
    await queue.flush().catch(() => undefined);
    await expect(again).resolves.toBeUndefined();
    expect(await dailyViews(url)).toEqual({ '2026-04-01|x': 1 });
  });

  it('never moves a stored offset backwards when events arrive out of partition order', async () => {
    await store.load(GROUP, 'page-views');
    await queue.add(pageViewEvent(view('a'), { partition: 0, offset: 105 }));
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '106' });

    const late = queue.add(pageViewEvent(view('a'), { partition: 0, offset: 103 })); // a key that waited
    await queue.flush();
    await late;
    expect(await storedOffsets(url, GROUP)).toEqual({ 'page-views[0]': '106' });
    expect(await dailyViews(url)).toEqual({ '2026-04-01|a': 2 });
  });

  it('refuses a second queue storing offsets of the same stream', async () => {
    const other = createQueue('other');
    await store.load(GROUP, 'page-views');
    try {
      await queue.add(pageViewEvent(view('a'), { partition: 0, offset: 100 }));
      expect(() => other.add(pageViewEvent(view('a'), { partition: 0, offset: 101 }))).toThrow(
        WorkQueueConfigError,
      );
      expect(other.depth).toBe(0);
    } finally {
      await other.close();
    }
  });
});
