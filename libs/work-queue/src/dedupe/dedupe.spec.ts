/**
 * De-duplication by eventId in the flush's transaction: duplicates within one batch and across
 * batches are applied once (aggregation happens after de-duplication), scopes are per queue,
 * ids that are not UUIDv7 de-duplicate across generations, and retention drops whole partitions.
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
import { v7 as timeOrderedUuid } from 'uuid';
import { GENERATION_MS, HOUR_MS, generationOf } from './dedupe-keys';
import { DedupeRetentionJob } from './dedupe-retention.job';
import { claimEventIds, claimedEventIds } from './processed-events';

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

  /** Which of `ids` are claimed in `scope`. */
  async function claimed(scope: string, ids: string[]): Promise<Set<string>> {
    const runner = database.dataSource.createQueryRunner();
    try {
      return await claimedEventIds(runner, scope, ids);
    } finally {
      await runner.release();
    }
  }

  /** Claims `ids` in a transaction of its own, committed; returns the duplicates, sorted. */
  async function claim(ids: string[], scope = 'app/q', now?: number): Promise<string[]> {
    const runner = database.dataSource.createQueryRunner();
    await runner.startTransaction();
    try {
      const duplicates = await claimEventIds(runner, scope, [...ids].sort(), now);
      await runner.commitTransaction();
      return [...duplicates].sort();
    } finally {
      await runner.release();
    }
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
    const offered = ['a', 'b', 'c', 'd', 'e', 'warm-up'];
    expect([...(await claimed('wq-test/counts', offered))].sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'warm-up',
    ]);
    expect(await claimed('wq-test/other', offered)).toEqual(new Set());
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
    const [a, b, c, d, e, f, g] = Array.from({ length: 7 }, () => timeOrderedUuid());
    const recording = recordQueries(/dedupe_ids|SAVEPOINT|pg_inherits/);
    const kinds = () =>
      recording.statements.splice(0).map((sql) => sql.replace(/\s+/g, ' ').slice(0, 40));
    try {
      expect(await claim([a, b])).toEqual([]);
      // No duplicate: one plain INSERT under a savepoint, all in one message.
      expect(recording.statements.map((sql) => sql.replace(/'\{[^}]*\}'/, "'{…}'"))).toEqual([
        "SAVEPOINT claim_event_ids; INSERT INTO dedupe_ids (key) SELECT unnest('{…}'::uuid[]); RELEASE SAVEPOINT claim_event_ids",
      ]);
      recording.statements.length = 0;
      expect(await claim([a, c, d])).toEqual([a]);
      // `a` makes the plain INSERT fail: rolled back, the keys go in skipping a's, which is named.
      expect(kinds()).toEqual([
        'SAVEPOINT claim_event_ids; INSERT INTO d',
        'ROLLBACK TO SAVEPOINT claim_event_ids; R',
        'INSERT INTO dedupe_ids (key) SELECT unne',
      ]);
    } finally {
      recording.stop();
    }
    expect(await claim([a, b, c, d])).toEqual([a, b, c, d].sort());
    expect(await claim([a, e], 'other/q')).toEqual([]);
    // An upper-case spelling is another id (stored by hash), as it was with text ids.
    expect(await claim([a.toUpperCase()])).toEqual([]);

    // A concurrent transaction holding `f`: our claim waits for its COMMIT, then names `f`.
    const holder = database.dataSource.createQueryRunner();
    await holder.startTransaction();
    expect(await claimEventIds(holder, 'app/q', [f])).toEqual(new Set());
    const waiting = claim([e, f, g]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.commitTransaction();
    await holder.release();
    expect(await waiting).toEqual([f]);
  });

  it('de-duplicates ids that are not UUIDv7 across generations, and across a boundary while both run', async () => {
    const now = Date.now();
    const generation = generationOf(now);
    expect(await claim(['order-1', 'order-2'], 'app/q', now)).toEqual([]);
    expect(await claim(['order-1'], 'other/q', now)).toEqual([]); // scopes are apart
    // A retry in the next generation, past its overlap: found by the look-up of older generations.
    const later = generation + GENERATION_MS + 30 * 60_000;
    expect(await claim(['order-1', 'order-3'], 'app/q', later)).toEqual(['order-1']);
    // Two generations on, at the start of one: inserted under both, still found.
    const twoOn = generation + 2 * GENERATION_MS + 1_000;
    expect(await claim(['order-2', 'order-3', 'order-4'], 'app/q', twoOn)).toEqual([
      'order-2',
      'order-3',
    ]);

    // One transaction claims `edge` just before a generation starts and holds it; another claims
    // it just after: it meets the first's key under the older generation and waits for its COMMIT.
    const boundary = generation + GENERATION_MS;
    const holder = database.dataSource.createQueryRunner();
    await holder.startTransaction();
    expect(await claimEventIds(holder, 'app/q', ['edge'], boundary - 2_000)).toEqual(new Set());
    const waiting = claim(['edge', 'other'], 'app/q', boundary + 3_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await holder.commitTransaction();
    await holder.release();
    expect(await waiting).toEqual(['edge']);
  });

  it('drops whole partitions past the window, deleting no row, after which expired ids are accepted again', async () => {
    const now = Date.now();
    const retentionHours = 24;
    const job = (at: number) =>
      new DedupeRetentionJob(database.dataSource, () => ['app/q'], {
        retentionHours,
        now: () => at,
      });
    // Partitions of 40 hours ago, as a job then made them; ids claimed then.
    const then = now - 40 * HOUR_MS;
    const early = job(then);
    expect(await early.runOnce()).toBe(0);
    await early.stop();
    const oldId = timeOrderedUuid({ msecs: then });
    const recentId = timeOrderedUuid({ msecs: now - 2 * HOUR_MS });
    expect(await claim([oldId, 'old-named'], 'app/q', then)).toEqual([]);
    expect(await claim([recentId, 'recent-named'], 'app/q', now - 2 * HOUR_MS)).toEqual([]);
    // Still within the window an hour later. (A named id claimed again is stored again under the
    // current generation, so it is remembered from its latest sighting: not asked at `now` here.)
    expect(await claim([oldId, 'old-named'], 'app/q', then + HOUR_MS)).toEqual(
      [oldId, 'old-named'].sort(),
    );
    expect(await claim([recentId, 'recent-named'], 'app/q', now)).toEqual(
      [recentId, 'recent-named'].sort(),
    );
    const partitions = async () =>
      Number(
        (
          await query<{ n: number }>(
            url,
            "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'dedupe_ids'::regclass",
          )
        )[0].n,
      );
    const before = await partitions();

    const recording = recordQueries(/DELETE|DROP TABLE/);
    const current = job(now);
    let dropped: number;
    try {
      dropped = await current.runOnce();
    } finally {
      recording.stop();
      await current.stop();
    }
    expect(dropped).toBeGreaterThanOrEqual(6); // at least the 40-hour-old generation's hours
    expect(recording.statements.filter((sql) => /DELETE/.test(sql))).toEqual([]);
    expect(recording.statements.filter((sql) => /DROP TABLE/.test(sql))).toHaveLength(dropped);
    expect(await partitions()).toBe(before - dropped);
    const [{ deleted }] = await query<{ deleted: number }>(
      url,
      "SELECT coalesce(sum(n_tup_del), 0)::int AS deleted FROM pg_stat_user_tables WHERE relname LIKE 'dedupe_ids%'",
    );
    expect(deleted).toBe(0);

    // Past the window the old ids are new again; the recent ones are still duplicates.
    expect(await claim([oldId, 'old-named', recentId, 'recent-named'], 'app/q', now)).toEqual(
      [recentId, 'recent-named'].sort(),
    );
  });

  it('never fails a claim for a missing partition: a skewed clock lands in the default partition', async () => {
    const farFuture = timeOrderedUuid({ msecs: Date.UTC(2100, 0, 1) });
    const farPast = timeOrderedUuid({ msecs: Date.UTC(2001, 0, 1) });
    expect(await claim([farFuture, farPast])).toEqual([]);
    expect(await claim([farFuture, farPast])).toEqual([farFuture, farPast].sort());
    const [{ n }] = await query<{ n: number }>(
      url,
      'SELECT count(*)::int AS n FROM dedupe_ids_default',
    );
    expect(n).toBe(2);
  });
});
