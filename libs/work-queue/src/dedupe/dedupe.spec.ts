/**
 * De-duplication by eventId in the flush's transaction: duplicates within one batch and across
 * batches are applied once (aggregation happens after de-duplication), scopes are per queue,
 * and retention deletes old ids in small batches.
 */
import type { OpenDatabase } from '@lib/database';
import {
  aggregateQueue,
  appendQueue,
  dailyViews,
  dailyViewsShape,
  openTestDatabase,
  pageViewEvent,
  query,
  upsertDailyViews,
  type DailyViews,
  type PageView,
} from '../../test/work-queue.fixtures';
import type { BatchingWorkQueue } from '../batching-work-queue';
import { DedupeRetentionJob } from './dedupe-retention.job';
import { claimEventIds } from './processed-events';

describe('de-duplication', () => {
  let database: OpenDatabase;
  let url: string;
  const queues: Array<BatchingWorkQueue<never, never>> = [];

  function countsQueue(name = 'counts') {
    const queue = aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource },
      {
        name,
        ...dailyViewsShape(),
        flushIntervalMs: 60_000,
        write: (r, b) => upsertDailyViews.run(r, b),
      },
    );
    queues.push(queue as never);
    return queue;
  }

  const view = { day: '2026-05-01', pageId: 'home' };

  /** Records the statements matching `pattern` that the data source runs until `stop()`. */
  function recordQueries(pattern: RegExp): { statements: string[]; stop: () => void } {
    const statements: string[] = [];
    const logger = database.dataSource.logger;
    // Inherits the logger's methods (a spread would drop those of its class).
    database.dataSource.logger = Object.assign(Object.create(logger) as typeof logger, {
      logQuery: (query: string) => pattern.test(query) && statements.push(query),
    });
    return { statements, stop: () => (database.dataSource.logger = logger) };
  }

  beforeEach(async () => {
    ({ database, url } = await openTestDatabase('dedupe'));
  });

  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
    await database.close();
  });

  it('applies an event id once within a batch and across batches, resolving every add()', async () => {
    const queue = countsQueue();
    await queue.add(pageViewEvent(view, { eventId: 'warm-up' })); // the next flush waits 60 s
    const inOneBatch = [
      queue.add([pageViewEvent(view, { eventId: 'a' }), pageViewEvent(view, { eventId: 'a' })]),
      queue.add(pageViewEvent(view, { eventId: 'b' })),
      queue.add(pageViewEvent(view, { eventId: 'a' })), // a client retry with the same id
      queue.add(pageViewEvent(view, { eventId: 'c', topic: 'page-views.wq-test.retry.10s' })),
      queue.add(pageViewEvent(view, { eventId: 'c' })), // same id from a retry topic and the main one
    ];
    await queue.flush();
    await Promise.all(inOneBatch);
    expect(await dailyViews(url)).toEqual({ '2026-05-01|home': 4 }); // warm-up, a, b, c

    const replayed = [
      queue.add([pageViewEvent(view, { eventId: 'a' }), pageViewEvent(view, { eventId: 'b' })]),
      queue.add(pageViewEvent(view, { eventId: 'd' })),
    ];
    await queue.flush();
    await Promise.all(replayed);
    expect(await dailyViews(url)).toEqual({ '2026-05-01|home': 5 }); // only d is new
    const ids = await query<{ event_id: string }>(
      url,
      "SELECT event_id FROM processed_events WHERE group_id = 'wq-test/counts' ORDER BY 1",
    );
    expect(ids.map((r) => r.event_id)).toEqual(['a', 'b', 'c', 'd', 'warm-up']);
  });

  it('keeps one scope per queue, so two queues on one stream both apply an event', async () => {
    const counts = countsQueue('counts');
    const lines = appendQueue<PageView, string>(
      { dataSource: database.dataSource },
      {
        name: 'lines',
        rowOf: (e) => e.eventId,
        write: (runner, batch) =>
          runner.query(
            'INSERT INTO log_lines (event_id, line) SELECT id, id FROM unnest($1::text[]) AS u(id)',
            [batch],
          ),
      },
    );
    queues.push(lines as never);
    const event = pageViewEvent(view, { eventId: 'shared' });
    await Promise.all([counts.add(event), lines.add(event)]);
    const again = [counts.add(event), lines.add(event)];
    await Promise.all([counts.flush(), lines.flush(), ...again]);

    expect(await dailyViews(url)).toEqual({ '2026-05-01|home': 1 });
    expect(await query(url, 'SELECT event_id FROM log_lines')).toEqual([{ event_id: 'shared' }]);
  });

  it('applies nothing twice when two instances flush the same ids at once', async () => {
    // Two instances of one app: same queue name, so the same scope (competing RabbitMQ consumers).
    const [one, other] = [countsQueue('twin'), countsQueue('twin')];
    const events = Array.from({ length: 200 }, (_, i) =>
      pageViewEvent(view, { eventId: `id-${i}` }),
    );
    await Promise.all([one.add(events), other.add([...events].reverse())]);
    expect(await dailyViews(url)).toEqual({ '2026-05-01|home': 200 });
  });

  it('names exactly the ids claimed before, by an earlier flush or a concurrent one', async () => {
    const claim = async (ids: string[], scope = 'app/q') => {
      const runner = database.dataSource.createQueryRunner();
      await runner.startTransaction();
      try {
        const duplicates = await claimEventIds(runner, scope, ids);
        await runner.commitTransaction();
        return [...duplicates].sort();
      } finally {
        await runner.release();
      }
    };
    const recording = recordQueries(/processed_events|SAVEPOINT/);
    const kinds = () => recording.statements.splice(0).map((sql) => sql.replace(/\s+/g, ' ').slice(0, 40));
    try {
      expect(await claim(['a', 'b'])).toEqual([]);
      // No duplicate: one plain INSERT under a savepoint.
      expect(kinds()).toEqual([
        'SAVEPOINT claim_event_ids',
        'INSERT INTO processed_events (group_id, ',
        'RELEASE SAVEPOINT claim_event_ids',
      ]);
      expect(await claim(['a', 'c', 'd'])).toEqual(['a']);
      // 'a' makes the plain INSERT fail: rolled back, the ids go in skipping 'a', which is named.
      const statements = kinds();
      expect(statements.slice(0, 4)).toEqual([
        'SAVEPOINT claim_event_ids',
        'INSERT INTO processed_events (group_id, ',
        'ROLLBACK TO SAVEPOINT claim_event_ids',
        'RELEASE SAVEPOINT claim_event_ids',
      ]);
      expect(statements.slice(4).map((sql) => sql.slice(0, 6))).toEqual(['INSERT', 'SELECT']);
    } finally {
      recording.stop();
    }
    expect(await claim(['a', 'b', 'c', 'd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(await claim(['a', 'e'], 'other/q')).toEqual([]);

    // A concurrent transaction holding 'f': our claim waits for its COMMIT, then names 'f'.
    const holder = database.dataSource.createQueryRunner();
    await holder.startTransaction();
    expect(await claimEventIds(holder, 'app/q', ['f'])).toEqual(new Set());
    const waiting = claim(['e', 'f', 'g']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.commitTransaction();
    await holder.release();
    expect(await waiting).toEqual(['f']);
  });

  it('deletes ids older than the retention window in small batches, per scope', async () => {
    await database.dataSource.query(`
      INSERT INTO processed_events (group_id, event_id, processed_at)
      SELECT 'app/q', 'old-' || n, now() - interval '25 hours' FROM generate_series(1, 2500) n
      UNION ALL SELECT 'app/q', 'new-' || n, now() - interval '23 hours' FROM generate_series(1, 10) n
      UNION ALL SELECT 'other/q', 'old-' || n, now() - interval '25 hours' FROM generate_series(1, 5) n`);
    const job = new DedupeRetentionJob(database.dataSource, () => ['app/q'], {
      retentionHours: 24,
      batchSize: 1000,
      pauseMs: 1,
    });
    const recording = recordQueries(/DELETE FROM processed_events/);
    try {
      expect(await job.runOnce()).toBe(2500);
    } finally {
      recording.stop();
      await job.stop();
    }
    expect(recording.statements).toHaveLength(3); // 1000 + 1000 + 500
    const left = await query<{ group_id: string; count: string }>(
      url,
      'SELECT group_id, count(*) FROM processed_events GROUP BY group_id ORDER BY group_id',
    );
    expect(left).toEqual([
      { group_id: 'app/q', count: '10' },
      { group_id: 'other/q', count: '5' },
    ]);
  });
});
