/**
 * The database goes away behind a TcpProxy while events keep coming: flushes fail and are
 * retried with backoff, readiness goes down, the data is kept, the stream is paused above the
 * high watermark (so memory stays bounded), and once the database is back everything is written
 * exactly once, every add() resolves and the stream resumes.
 */
import type { OpenDatabase } from '@lib/database';
import { isRedeliver, type IncomingEvent } from '@lib/queue';
import { HealthIndicatorService } from '@nestjs/terminus';
import { TcpProxy, waitFor } from '@test/support';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  aggregateQueue,
  appendQueue,
  dailyViews,
  dailyViewsShape,
  FakeConsumerControl,
  openTestDatabase,
  pageViewEvent,
  query,
  storedOffsets,
  upsertDailyViews,
  type DailyViews,
  type PageView,
} from '../test/work-queue.fixtures';
import type { BatchingWorkQueue, WorkQueueHandle } from './batching-work-queue';
import { OffsetLedger } from './offsets/offset-ledger';
import { PgOffsetStore } from './offsets/pg-offset-store';
import { isWorkDiscarded, WorkDiscardedError } from './work-queue.errors';
import { WorkQueueHealthIndicator } from './work-queue.health';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Any of the specs' queues of page views, whatever it makes of them. */
type PageViewQueue = WorkQueueHandle & Pick<BatchingWorkQueue<PageView, never>, 'add' | 'depth'>;

/** Heap in use after a full collection, in MiB. */
function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/**
 * Plays a transport: delivers `perTick` events per tick while the stream is not paused; once
 * paused it still delivers what it had fetched (at most `inFlight` more), as a real one does.
 */
class SimulatedTransport {
  delivered = 0;
  private deliveredSincePause = 0;
  private stopped = false;
  readonly settled: Array<Promise<'ok' | 'rejected'>> = [];

  constructor(
    private readonly queue: PageViewQueue,
    private readonly control: FakeConsumerControl,
    private readonly event: (n: number) => IncomingEvent<PageView>,
    private readonly perTick: number,
    private readonly inFlight: number,
  ) {}

  async run(forMs: number): Promise<void> {
    const until = Date.now() + forMs;
    while (!this.stopped && Date.now() < until) {
      if (!this.control.paused.has('page-views')) this.deliveredSincePause = 0;
      const room = this.control.paused.has('page-views')
        ? this.inFlight - this.deliveredSincePause
        : this.perTick;
      const count = Math.max(0, Math.min(this.perTick, room));
      if (count > 0) {
        const events = Array.from({ length: count }, () => this.event(this.delivered++));
        this.deliveredSincePause += count;
        this.settled.push(
          this.queue.add(events).then(
            () => 'ok' as const,
            () => 'rejected' as const,
          ),
        );
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}

describe('work queue during a database outage', () => {
  let proxy: TcpProxy;
  let database: OpenDatabase;
  let url: string;
  let control: FakeConsumerControl;
  let queue: PageViewQueue;
  const health = new WorkQueueHealthIndicator(new HealthIndicatorService());

  beforeEach(async () => {
    proxy = await TcpProxy.start('127.0.0.1', 5432);
    ({ database, url } = await openTestDatabase('outage', (direct) => {
      const u = new URL(direct);
      u.port = String(proxy.port);
      return u.toString();
    }));
    control = new FakeConsumerControl();
  });

  afterEach(async () => {
    proxy.restore();
    await queue.close();
    await database.close();
    await proxy.close();
  });

  it('keeps the data, pauses, reports not ready, and writes everything exactly once when the database is back', async () => {
    const ledger = new OffsetLedger();
    await new PgOffsetStore(database.dataSource, ledger).load('wq-test', 'page-views');
    queue = aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource, ledger, control, defaults: { trackOffsets: true } },
      {
        name: 'outage',
        ...dailyViewsShape(),
        flushIntervalMs: 20,
        highWatermark: 400,
        lowWatermark: 100,
        write: (r, b) => upsertDailyViews.run(r, b),
      },
    );
    const pages = 7;
    const event = (n: number) =>
      pageViewEvent(
        { day: '2026-06-01', pageId: `p${n % pages}` },
        { partition: n % 2, offset: Math.floor(n / 2) },
      );
    const transport = new SimulatedTransport(queue, control, event, 10, 50);

    await transport.run(300);
    expect(queue.status().failing).toBeUndefined();
    expect(health.check(queue)['work-queue:outage'].status).toBe('up');

    // Cut between flushes: a cut while a COMMIT is on the wire can land that commit and still fail
    // the flush, whose retry is then fenced and rejected for the transport to redeliver, which
    // this simulated transport does not do (the fencing specs cover that case).
    await waitFor(() => queue.status().flushRunningMs === undefined, {
      intervalMs: 1,
      description: 'no flush running',
    });
    proxy.cut(); // in the same turn as the check: no flush can start in between
    const cutAt = Date.now();
    const deliveredBeforeCut = transport.delivered;
    await transport.run(3_000);
    const during = queue.status();
    expect(during.failing?.attempts).toBeGreaterThanOrEqual(3);
    expect(health.check(queue)['work-queue:outage']).toMatchObject({
      status: 'down',
      message: expect.stringMatching(/flush failing/),
    });
    expect(control.paused.has('page-views')).toBe(true);
    expect(control.calls.find((c) => c.action === 'pause')!.at).toBeGreaterThanOrEqual(cutAt);
    expect(during.depth).toBeGreaterThanOrEqual(400);
    expect(during.depth).toBeLessThanOrEqual(400 + 50 + 10); // watermark + what was in flight
    // Without the pause the transport would have delivered ~10 000 more during the cut.
    expect(transport.delivered - deliveredBeforeCut).toBeLessThan(400 + 50 + 10 + 100);

    proxy.restore();
    const outcomes = await Promise.all(transport.settled);
    expect(outcomes.every((o) => o === 'ok')).toBe(true);
    await waitFor(() => control.calls.at(-1)?.action === 'resume', {
      description: 'resume after the outage',
    });
    expect(health.check(queue)['work-queue:outage'].status).toBe('up');
    const views = await dailyViews(url);
    expect(Object.values(views).reduce((a, b) => a + b, 0)).toBe(transport.delivered);
    const last = transport.delivered - 1;
    const nextOf = (partition: number) => {
      const highest = [last, last - 1].find((n) => n % 2 === partition)!;
      return String(Math.floor(highest / 2) + 1);
    };
    expect(await storedOffsets(url, 'wq-test')).toEqual({
      'page-views[0]': nextOf(0),
      'page-views[1]': nextOf(1),
    });
  }, 30_000);

  it('abandons a flush that hangs, keeps its data and writes it once after the database answers again', async () => {
    queue = aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource, control },
      {
        name: 'hung',
        ...dailyViewsShape(),
        flushTimeoutMs: 300,
        write: (r, b) => upsertDailyViews.run(r, b),
      },
    );
    await queue.add(pageViewEvent({ day: '2026-06-02', pageId: 'a' }));
    proxy.hang();
    const pending = queue.add(pageViewEvent({ day: '2026-06-02', pageId: 'a' }));
    await waitFor(() => queue.status().failing !== undefined, { timeoutMs: 5_000 });
    expect(queue.status().failing?.error).toMatch(/did not finish within 300 ms/);
    expect(health.check(queue)['work-queue:hung'].status).toBe('down');

    proxy.restore();
    await pending;
    expect(await dailyViews(url)).toEqual({ '2026-06-02|a': 2 });
  }, 30_000);

  it('discards what it could not write by the close timeout, so the transport leaves it unacknowledged', async () => {
    queue = aggregateQueue<PageView, DailyViews>(
      { dataSource: database.dataSource, control },
      {
        name: 'closing',
        ...dailyViewsShape(),
        closeTimeoutMs: 300,
        write: (r, b) => upsertDailyViews.run(r, b),
      },
    );
    await queue.add(pageViewEvent({ day: '2026-06-04', pageId: 'a' }));
    proxy.cut();
    const unwritten = queue.add(pageViewEvent({ day: '2026-06-04', pageId: 'a' }));
    const started = Date.now();
    await queue.close();

    expect(Date.now() - started).toBeLessThan(2_500); // the timeout plus at most one backoff step
    const error = await unwritten.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkDiscardedError);
    expect(isWorkDiscarded(error)).toBe(true);
    // The transports read it as a redelivery, not as a failed attempt.
    expect(isRedeliver(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'shutdown' });
    proxy.restore();
    expect(await dailyViews(url)).toEqual({ '2026-06-04|a': 1 });
  });

  it('stays within a bounded heap under continuous delivery while the database is down', async () => {
    const high = 20_000;
    const inFlight = 2_000;
    queue = appendQueue<PageView, { id: string; page: string }>(
      { dataSource: database.dataSource, control },
      {
        name: 'bounded',
        highWatermark: high,
        lowWatermark: 5_000,
        rowOf: (e) => ({ id: e.eventId, page: e.payload.pageId }),
        write: (runner, batch) =>
          runner.query(
            'INSERT INTO log_lines (event_id, line) SELECT * FROM unnest($1::text[], $2::text[])',
            [batch.map((r) => r.id), batch.map((r) => r.page)],
          ),
      },
    );
    const event = (n: number) =>
      pageViewEvent(
        { day: '2026-06-03', pageId: `page-${n % 1000}-${'x'.repeat(40)}` },
        { offset: n, eventId: `evt-${n}` },
      );
    const transport = new SimulatedTransport(queue, control, event, 500, inFlight);
    proxy.cut();
    const before = heapMiB();
    await transport.run(3_000);
    const grown = heapMiB() - before;

    expect(control.paused.has('page-views')).toBe(true);
    expect(queue.depth).toBeLessThanOrEqual(high + inFlight + 500);
    // ~22 500 buffered events of ~0.5 KiB each; an unpaused transport would have delivered
    // hundreds of thousands in these 3 s.
    expect(grown).toBeLessThan(32);
    process.stderr.write(
      `work-queue heap bound: ${queue.depth} events buffered, heap grew ${grown.toFixed(1)} MiB\n`,
    );

    proxy.restore();
    await Promise.all(transport.settled);
    const [{ count }] = await query<{ count: string }>(url, 'SELECT count(*) FROM log_lines');
    expect(Number(count)).toBe(transport.delivered);
  }, 30_000);
});
