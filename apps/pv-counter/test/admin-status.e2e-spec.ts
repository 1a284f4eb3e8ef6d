/**
 * `GET /admin/status` over real HTTP: pv-counter on Kafka and PostgreSQL shows its dependencies,
 * the page-views stream with its assigned partitions (committed offsets equal to the offsets the
 * database stores once a flush committed), its work queue's last flush, and ingest its spool; on
 * the in-memory broker the same shape without stored offsets' broker; only an admin key opens it.
 */
import { MemoryBroker } from '@lib/queue';
import { uniqueName, waitFor } from '@test/support';
import { createPvCounterApp } from '../src/pv-counter.app';
import { AdminTestApps } from './support/admin-test-apps';

const ADMIN_KEY = 'status-admin-key';

interface PartitionStatus {
  partition: number;
  assigned: boolean;
  committed?: string;
  stored?: string;
  fetched?: number;
  lag?: number;
  inFlight?: number;
  pausedBy?: string[];
}
interface StreamStatus {
  stream: string;
  paused: boolean;
  inFlight: number;
  partitions: PartitionStatus[];
  retryTiers: Array<{ topic: string; delayMs: number; lag: number }>;
  deadLetters: number | null;
  offsetsStoredIn: string;
}
interface Status {
  app: string;
  ready: boolean;
  dependencies: Record<string, boolean>;
  broker: { name: string; group: string };
  streams: StreamStatus[];
  workQueues?: Record<
    string,
    { depth: number; lastFlushAt?: string; lastFlushSeconds?: number; flushFailures: number }
  >;
  spools?: Record<
    string,
    { depth: number; bytes: number; breaker: string; oldestEventAgeSeconds: number }
  >;
}

async function status(url: string, key = ADMIN_KEY): Promise<{ code: number; body: Status }> {
  const response = await fetch(`${url}/admin/status`, {
    headers: { 'x-api-key': key },
    signal: AbortSignal.timeout(15_000),
  });
  return { code: response.status, body: (await response.json()) as Status };
}

describe('GET /admin/status', () => {
  const apps = new AdminTestApps(ADMIN_KEY);

  afterAll(() => apps.close(), 120_000);

  it('on Kafka and PostgreSQL: partitions with committed and stored offsets, work queue flushes, the spool', async () => {
    const { counter, ingest, group } = await apps.startKafkaPair('admin_status');

    const pageId = uniqueName('status-page');
    const post = await fetch(`${ingest}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { eventId: uniqueName('ev'), pageId, occurredAt: new Date().toISOString() },
      ]),
    });
    expect(post.status).toBe(202);
    const today = new Date().toISOString().slice(0, 10);
    await waitFor(
      async () => {
        const r = await fetch(`${counter}/v1/page-views/${pageId}?date=${today}`);
        return r.status === 200 && ((await r.json()) as { views: number }).views === 1;
      },
      { timeoutMs: 90_000, intervalMs: 200, description: 'the view counted' },
    );

    expect((await status(counter, 'wrong-key')).code).toBe(401);
    let body!: Status;
    // The stored offset is written by the flush, the committed one by the transport after it.
    await waitFor(
      async () => {
        body = (await status(counter)).body;
        const parts = body.streams[0]?.partitions ?? [];
        return parts.some((p) => p.assigned && p.stored !== undefined && p.stored === p.committed);
      },
      {
        timeoutMs: 30_000,
        intervalMs: 200,
        description: 'committed offsets equal to the stored ones',
      },
    );
    expect(body.app).toBe('pv-counter');
    expect(body.ready).toBe(true);
    expect(Object.values(body.dependencies).every(Boolean)).toBe(true);
    expect(Object.keys(body.dependencies)).toEqual(expect.arrayContaining(['broker', 'database']));
    expect(body.broker).toMatchObject({ name: 'kafka', group });
    const [stream] = body.streams;
    expect(stream).toMatchObject({
      stream: 'page-views',
      paused: false,
      offsetsStoredIn: 'database',
    });
    expect(stream.deadLetters).toEqual(expect.any(Number));
    expect(stream.retryTiers.length).toBeGreaterThanOrEqual(0);
    const partition = stream.partitions.find((p) => p.assigned)!;
    expect(partition).toMatchObject({ lag: 0, inFlight: 0, pausedBy: [] });
    expect(partition.fetched).toBe(Number(partition.committed));
    const queues = Object.values(body.workQueues ?? {});
    expect(queues.length).toBeGreaterThan(0);
    expect(queues.some((q) => q.lastFlushAt !== undefined && q.lastFlushSeconds! >= 0)).toBe(true);
    expect(queues.every((q) => q.flushFailures === 0)).toBe(true);

    // An operator pause holds the partitions: a view posted meanwhile is not counted, offsets stay.
    const admin = { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } };
    expect((await fetch(`${counter}/admin/streams/page-views/pause`, admin)).status).toBe(200);
    const held = (await status(counter)).body.streams[0];
    expect(held.paused).toBe(true);
    expect(
      held.partitions.filter((p) => p.assigned).every((p) => p.pausedBy?.includes('operator')),
    ).toBe(true);
    const heldPage = uniqueName('held-page');
    await fetch(`${ingest}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { eventId: uniqueName('ev'), pageId: heldPage, occurredAt: new Date().toISOString() },
      ]),
    });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const views = async () => {
      const r = await fetch(`${counter}/v1/page-views/${heldPage}?date=${today}`);
      return r.status === 200 ? ((await r.json()) as { views: number }).views : 0;
    };
    expect(await views()).toBe(0);
    const afterPause = (await status(counter)).body.streams[0].partitions;
    expect(afterPause.map((p) => p.committed)).toEqual(held.partitions.map((p) => p.committed));
    expect((await fetch(`${counter}/admin/streams/page-views/resume`, admin)).status).toBe(200);
    await waitFor(async () => (await views()) === 1, {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: 'the held view counted after the resume',
    });
    expect((await fetch(`${counter}/admin/streams/nope/pause`, admin)).status).toBe(400);

    const ingestStatus = (await status(ingest)).body;
    expect(ingestStatus.app).toBe('ingest');
    const spools = Object.values(ingestStatus.spools ?? {});
    expect(spools.length).toBeGreaterThan(0);
    expect(spools[0]).toMatchObject({ depth: 0, breaker: 'closed', oldestEventAgeSeconds: 0 });
  }, 180_000);

  it('on the in-memory broker: the same shape, offsets kept by the broker', async () => {
    const url = await apps.start(
      createPvCounterApp,
      { BROKER: 'memory', DATABASE_URL: await apps.database('admin_status_memory') },
      new MemoryBroker(),
    );
    const { code, body } = await status(url);
    expect(code).toBe(200);
    expect(body.broker.name).toBe('memory');
    expect(body.streams.map((s) => s.stream)).toEqual(['page-views']);
    expect(body.streams[0]).toMatchObject({ paused: false, inFlight: 0, deadLetters: 0 });
  }, 60_000);
});
