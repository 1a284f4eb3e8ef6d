/**
 * `POST /admin/streams/page-views/offsets` on real Kafka and PostgreSQL: a dry run changes
 * nothing; `latest` skips what was published while the stream was paused; a time makes pv-counter
 * count exactly the views published after it; `earliest` reads the whole log again and counts
 * nothing twice (the event-id claims); a second instance of the group holding partitions makes
 * the reset a 409; bad input is a 400 naming the field; the in-memory broker refuses with a 409.
 */
import { MemoryBroker } from '@lib/queue';
import { testServices, uniqueName, waitFor } from '@test/support';
import { randomUUID } from 'node:crypto';
import { createPvCounterApp } from '../src/pv-counter.app';
import { AdminTestApps } from './support/admin-test-apps';

const ADMIN_KEY = 'offset-reset-admin-key';

interface PartitionMove {
  partition: number;
  current: string;
  target: string;
  earliest: string;
  latest: string;
  records: number;
}
interface Plan {
  stream: string;
  topic: string;
  group: string;
  to: string;
  dryRun: boolean;
  offsetsStoredIn: string;
  partitions: PartitionMove[];
}
interface StreamStatus {
  paused: boolean;
  partitions: Array<{ partition: number; assigned: boolean; stored?: string }>;
}

describe('offset reset of a stream (Kafka, offsets stored in PostgreSQL)', () => {
  const apps = new AdminTestApps(ADMIN_KEY);
  const today = new Date().toISOString().slice(0, 10);

  async function admin(url: string, path: string, body?: unknown) {
    const response = await fetch(`${url}/admin/${path}`, {
      method: 'POST',
      headers: {
        'x-api-key': ADMIN_KEY,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    return { code: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function streamStatus(url: string): Promise<StreamStatus> {
    const response = await fetch(`${url}/admin/status`, { headers: { 'x-api-key': ADMIN_KEY } });
    const body = (await response.json()) as { streams: StreamStatus[] };
    return body.streams[0];
  }

  async function post(ingest: string, pageId: string, count: number): Promise<void> {
    const views = Array.from({ length: count }, (_, i) => ({
      eventId: randomUUID(),
      pageId,
      visitorId: `${pageId}-v${i}`,
      occurredAt: new Date().toISOString(),
    }));
    const response = await fetch(`${ingest}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(views),
    });
    expect(response.status).toBe(202);
  }

  async function views(counter: string, pageId: string): Promise<number> {
    const response = await fetch(`${counter}/v1/page-views/${pageId}?date=${today}`);
    return response.status === 200 ? ((await response.json()) as { views: number }).views : 0;
  }

  async function counted(counter: string, expected: Record<string, number>, description: string) {
    const actual = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.keys(expected).map(async (page) => [page, await views(counter, page)] as const),
        ),
      );
    await waitFor(async () => JSON.stringify(await actual()) === JSON.stringify(expected), {
      timeoutMs: 60_000,
      intervalMs: 200,
      description,
    });
    // Nothing more arrives later: a view counted twice would show after the first match.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await actual()).toEqual(expected);
  }

  afterAll(() => apps.close(), 120_000);

  it('dry run, latest, a time and earliest: pv-counter counts exactly the views after the target, none twice', async () => {
    const { counter, ingest, group, databaseUrl } = await apps.startKafkaPair('offset_reset');
    const [early, before, after] = ['early', 'before', 'after'].map((p) => uniqueName(p));

    await post(ingest, early, 7);
    await counted(counter, { [early]: 7 }, 'the first views counted');

    // Paused: the views before and after the time are published but not read.
    expect((await admin(counter, 'streams/page-views/pause')).code).toBe(200);
    await post(ingest, before, 5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const time = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await post(ingest, after, 9);
    const stored = (await streamStatus(counter)).partitions.map((p) => p.stored);

    const dry = await admin(counter, 'streams/page-views/offsets', { to: 'latest' });
    expect(dry.code).toBe(200);
    const dryPlan = dry.body as unknown as Plan;
    expect(dryPlan).toMatchObject({
      stream: 'page-views',
      group,
      to: 'latest',
      dryRun: true,
      offsetsStoredIn: 'database',
    });
    expect(dryPlan.partitions.length).toBeGreaterThan(0);
    for (const p of dryPlan.partitions) {
      expect(p.target).toBe(p.latest);
      expect(p.records).toBe(Number(p.target) - Number(p.current));
    }
    // 14 views wait behind the stored offsets (the first 7 were stored by their flush).
    expect(dryPlan.partitions.reduce((sum, p) => sum + p.records, 0)).toBeGreaterThanOrEqual(14);
    expect((await streamStatus(counter)).partitions.map((p) => p.stored)).toEqual(stored);

    // latest: the 14 waiting views are skipped, the stream stays paused by its operator.
    const latest = await admin(counter, 'streams/page-views/offsets', {
      to: 'latest',
      dryRun: false,
    });
    expect(latest.code).toBe(200);
    expect((await streamStatus(counter)).paused).toBe(true);
    const afterLatest = (await streamStatus(counter)).partitions;
    for (const p of (latest.body as unknown as Plan).partitions)
      expect(afterLatest.find((s) => s.partition === p.partition)?.stored).toBe(p.target);
    expect((await admin(counter, 'streams/page-views/resume')).code).toBe(200);
    await counted(counter, { [early]: 7, [before]: 0, [after]: 0 }, 'nothing counted after latest');

    // A time: exactly the views published after it are counted.
    const dryTime = (await admin(counter, 'streams/page-views/offsets', { to: time }))
      .body as unknown as Plan;
    expect(dryTime.to).toBe(time);
    // At least the 9 views after the time (other suites may publish page views meanwhile).
    expect(dryTime.partitions.reduce((sum, p) => sum + p.records, 0)).toBeLessThanOrEqual(-9);
    const atTime = await admin(counter, 'streams/page-views/offsets', { to: time, dryRun: false });
    expect(atTime.code).toBe(200);
    await counted(counter, { [early]: 7, [before]: 0, [after]: 9 }, 'the views after the time');

    // earliest: every view of the log is read again; the claimed ones are not counted twice.
    const earliest = await admin(counter, 'streams/page-views/offsets', {
      to: 'earliest',
      dryRun: false,
    });
    expect(earliest.code).toBe(200);
    for (const p of (earliest.body as unknown as Plan).partitions)
      expect(p.target).toBe(p.earliest);
    await counted(counter, { [early]: 7, [before]: 5, [after]: 9 }, 'every view once');

    // Bad input names the field.
    const badTarget = await admin(counter, 'streams/page-views/offsets', { to: 'yesterday' });
    expect(badTarget.code).toBe(400);
    expect(badTarget.body.details).toEqual([
      { field: 'to', problem: 'expected "earliest", "latest" or an ISO 8601 time' },
    ]);
    const badDryRun = await admin(counter, 'streams/page-views/offsets', {
      to: 'latest',
      dryRun: 'no',
    });
    expect(badDryRun.code).toBe(400);
    expect(badDryRun.body.details).toEqual([
      { field: 'dryRun', problem: 'expected true or false' },
    ]);
    expect((await admin(counter, 'streams/page-views/offsets', {})).code).toBe(400);
    expect((await admin(counter, 'streams/nope/offsets', { to: 'latest' })).code).toBe(400);

    // A second instance of the group holds partitions: it would go on from its own positions.
    const second = await apps.start(createPvCounterApp, {
      BROKER: 'kafka',
      KAFKA_BROKERS: testServices().kafkaBrokers,
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: group,
    });
    // Once the group rebalanced, the second instance holds some of the partitions (until then a
    // reset to latest moves nothing: every view was read).
    let refused!: { code: number; body: Record<string, unknown> };
    await waitFor(
      async () => {
        refused = await admin(counter, 'streams/page-views/offsets', {
          to: 'latest',
          dryRun: false,
        });
        return refused.code === 409;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: 'a 409 once the second instance joined' },
    );
    expect(String(refused.body.message)).toMatch(
      new RegExp(`other instances of ${group} hold partitions of page-views: \\d+ \\(`),
    );
    expect(second).toMatch(/^http/);
    const dryStill = await admin(counter, 'streams/page-views/offsets', { to: 'latest' });
    expect(dryStill.code).toBe(200);
  }, 300_000);

  it('on the in-memory broker: a 409 that says offset resets need Kafka', async () => {
    const url = await apps.start(
      createPvCounterApp,
      { BROKER: 'memory', DATABASE_URL: await apps.database('offset_reset_memory') },
      new MemoryBroker(),
    );
    const refused = await admin(url, 'streams/page-views/offsets', { to: 'earliest' });
    expect(refused.code).toBe(409);
    expect(String(refused.body.message)).toContain('offset resets need BROKER=kafka');
  }, 120_000);
});
