/**
 * pv-counter end to end on the real brokers and a throwaway PostgreSQL database: ingest (in
 * process) publishes `page-views`, pv-counter consumes, aggregates per UTC day and page, and its
 * read API must give exact view counts and unique visitors (every page here has fewer than 1,000
 * visitors, so they are exact too), the top pages in order, and
 * must not count a client's retry (the same `eventId`s posted again) twice.
 */
import amqp from 'amqplib';
import { DEFAULT_RETRY_POLICY, retryTiers, topologyNames } from '@lib/retry';
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { createPvCounterApp } from '../src/pv-counter.app';
import { EXACT_LIMIT } from '../src/storage';
import { sketchesMerged, uniquesProblem } from './support/page-view-stream';

interface PageCount {
  pageId: string;
  views: number;
  uniqueVisitors: number;
}

interface PlannedView {
  eventId: string;
  pageId: string;
  visitorId?: string;
  occurredAt: string;
}

/**
 * A day of its own (the brokers are shared with other tests, whose views are dated today), and a
 * known distribution on it: page i gets 20 + 3·i views (all different, so the order is strict);
 * views cycle through `visitors` ids, every 10th view anonymous (counted, not a unique).
 */
function plan(prefix: string, pages: number, visitors: number) {
  const day = `20${30 + randomInt(60)}-0${1 + randomInt(9)}-1${randomInt(10)}`;
  const views: PlannedView[] = [];
  const expected = new Map<string, { views: number; visitors: Set<string> }>();
  let n = 0;
  for (let p = 0; p < pages; p++) {
    const pageId = `${prefix}-page-${p}`;
    const entry = { views: 0, visitors: new Set<string>() };
    expected.set(pageId, entry);
    for (let v = 0; v < 20 + 3 * p; v++, n++) {
      const second = String(n % 60).padStart(2, '0');
      const view: PlannedView = {
        eventId: `${prefix}-ev-${n}`,
        pageId,
        occurredAt: `${day}T${String(n % 24).padStart(2, '0')}:00:${second}Z`,
      };
      if (n % 10 !== 0) {
        view.visitorId = `${prefix}-visitor-${(n * 7919) % visitors}`;
        entry.visitors.add(view.visitorId);
      }
      entry.views++;
      views.push(view);
    }
  }
  // Interleave pages, as real traffic would.
  for (let i = views.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [views[i], views[j]] = [views[j], views[i]];
  }
  return { day, views, expected };
}

describe.each([
  { broker: 'kafka', duplicates: false },
  { broker: 'rabbitmq', duplicates: true },
])('pv-counter counting on $broker', ({ broker, duplicates }) => {
  const dirs: string[] = [];
  const apps: HttpApp[] = [];
  let counterUrl: string;
  let ingestUrl: string;

  async function start(create: (env: Env) => Promise<HttpApp>, env: Env): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-counter-'));
    dirs.push(dataDir);
    const services = testServices();
    const app = await create({
      BROKER: broker,
      KAFKA_BROKERS: services.kafkaBrokers,
      RABBITMQ_URL: services.rabbitmqUrl,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      ...env,
    });
    apps.push(app);
    return app.listen();
  }

  async function post(views: readonly PlannedView[]): Promise<string[]> {
    const response = await fetch(`${ingestUrl}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(views),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json()) as { accepted: number; eventIds: string[] };
    if (response.status !== 202)
      throw new Error(`POST /v1/page-views: ${response.status} ${JSON.stringify(body)}`);
    return body.eventIds;
  }

  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${counterUrl}${path}`, { signal: AbortSignal.timeout(15_000) });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function page(pageId: string, date: string): Promise<PageCount & { date: string }> {
    const { status, body } = await get<PageCount & { date: string }>(
      `/v1/page-views/${encodeURIComponent(pageId)}?date=${date}`,
    );
    if (status !== 200) throw new Error(`GET page: ${status} ${JSON.stringify(body)}`);
    return body;
  }

  // A group of its own: other suites on the shared brokers run pv-counter too, and the same group
  // would share the partitions (Kafka) and the queue (RabbitMQ) with them.
  const group = uniqueName('pv-counter');

  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase(`pv_counting_${broker}`);
    counterUrl = await start(createPvCounterApp, {
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: group,
    });
    ingestUrl = await start(createIngestApp, {});
    // Warm-up: the first consumer join and topic/queue creation take a while on a busy machine;
    // once a view posted now is counted, the pipeline is connected end to end.
    const warm = uniqueName('warm');
    const today = new Date().toISOString().slice(0, 10);
    await post([{ eventId: warm, pageId: warm, occurredAt: new Date().toISOString() }]);
    await waitFor(async () => (await page(warm, today)).views === 1, {
      timeoutMs: 90_000,
      intervalMs: 200,
      description: 'the warm-up view counted',
    });
  }, 180_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    // The app's group is its name, so its durable queues on the shared RabbitMQ would outlive the
    // run and keep collecting every later page view: delete them.
    if (broker === 'rabbitmq')
      await deleteGroupQueues(testServices().rabbitmqUrl, group, 'page-views');
  }, 120_000);

  it('counts views and unique visitors exactly, top pages most viewed first, retries once', async () => {
    const prefix = uniqueName(`pv-${broker}`);
    const pages = duplicates ? 30 : 50;
    const { day, views, expected } = plan(prefix, pages, duplicates ? 1_200 : 2_000);
    expect(views.length).toBeGreaterThan(duplicates ? 1_800 : 4_500);
    for (let i = 0; i < views.length; i += 500) {
      const batch = views.slice(i, i + 500);
      const ids = await post(batch);
      expect(ids).toEqual(batch.map((view) => view.eventId));
      // A client that did not see the answer retries the same batch: same eventIds.
      if (duplicates || i === 0) await post(batch);
    }
    if (!duplicates) await post(views.slice(1_000, 1_300)); // a late retry of an earlier batch

    const wanted = [...expected.entries()]
      .map(([pageId, entry]) => ({ pageId, views: entry.views, visitors: entry.visitors.size }))
      .sort((a, b) => b.views - a.views);
    const total = views.length;
    let top = await waitFor(
      async () => {
        const { status, body } = await get<{ date: string; pages: PageCount[] }>(
          `/v1/page-views?date=${day}&limit=100`,
        );
        if (status !== 200) throw new Error(`GET top: ${status} ${JSON.stringify(body)}`);
        // Stop at once on too many (duplicates counted): the assertion below then fails.
        return body.pages.reduce((sum, entry) => sum + entry.views, 0) >= total ? body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: `all ${total} views counted` },
    );
    expect(top!.pages.reduce((sum, entry) => sum + entry.views, 0)).toBe(total);
    // Unique visitors trail the views by up to one sketch merge: read again once merged.
    await sketchesMerged(databaseUrl);
    top = (await get<{ date: string; pages: PageCount[] }>(`/v1/page-views?date=${day}&limit=100`))
      .body;

    expect(top!.date).toBe(day);
    expect(top!.pages.map((entry) => [entry.pageId, entry.views])).toEqual(
      wanted.map((entry) => [entry.pageId, entry.views]),
    );
    // Each page's unique visitors are exactly their number (fewer than 1,000 visitors a page).
    const problems = top!.pages
      .map((entry) =>
        uniquesProblem(entry.pageId, entry.uniqueVisitors, expected.get(entry.pageId)!.visitors),
      )
      .filter((problem) => problem !== undefined);
    expect(problems).toEqual([]);
    // Summed over the pages: exact as well.
    const counted = top!.pages.reduce((sum, entry) => sum + entry.uniqueVisitors, 0);
    const actual = wanted.reduce((sum, entry) => sum + entry.visitors, 0);
    expect(wanted.every((entry) => entry.visitors <= EXACT_LIMIT)).toBe(true);
    expect(counted).toBe(actual);
    // The limit cuts the same order.
    const three = await get<{ pages: PageCount[] }>(`/v1/page-views?date=${day}&limit=3`);
    expect(three.body.pages).toEqual(top!.pages.slice(0, 3));

    // One page, and the same page on a day without views.
    const busiest = wanted[0];
    expect(await page(busiest.pageId, day)).toEqual({
      pageId: busiest.pageId,
      date: day,
      views: busiest.views,
      uniqueVisitors: top!.pages[0].uniqueVisitors,
    });
    expect(await page(busiest.pageId, '2029-01-01')).toEqual({
      pageId: busiest.pageId,
      date: '2029-01-01',
      views: 0,
      uniqueVisitors: 0,
    });

    // Nothing arrives later (a duplicate that slipped through would show up after the total).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const again = await get<{ pages: PageCount[] }>(`/v1/page-views?date=${day}&limit=100`);
    expect(again.body.pages.reduce((sum, entry) => sum + entry.views, 0)).toBe(total);
  }, 240_000);

  it('answers 400 with details for bad parameters, never 500', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/page-views?date=2026-02-30', 'date'],
      ['/v1/page-views?date=yesterday', 'date'],
      ['/v1/page-views?limit=0', 'limit'],
      ['/v1/page-views?limit=101', 'limit'],
      ['/v1/page-views?limit=abc', 'limit'],
      [`/v1/page-views/${'x'.repeat(201)}`, 'pageId'],
      [`/v1/page-views/${encodeURIComponent('é'.repeat(201))}`, 'pageId'],
      ['/v1/page-views/a%07b', 'pageId'],
      ['/v1/page-views/home?date=2026-1-1', 'date'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get<{ statusCode: number; details: Array<{ field: string }> }>(
        path,
      );
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body.details.map((detail) => detail.field)).toContain(field);
    }
    // The longest page id the contract allows (200 characters, percent-encoded far longer) is served.
    const longest = 'é'.repeat(199) + '/';
    const long = await get<PageCount>(`/v1/page-views/${encodeURIComponent(longest)}`);
    expect(long.status).toBe(200);
    expect(long.body.pageId).toBe(longest);
    const today = await get<PageCount & { date: string }>('/v1/page-views/never-viewed');
    expect(today.status).toBe(200);
    expect(today.body).toEqual({
      pageId: 'never-viewed',
      date: new Date().toISOString().slice(0, 10),
      views: 0,
      uniqueVisitors: 0,
    });
  }, 60_000);
});

/** Deletes the RabbitMQ queues of `group` for `stream` (main, retry tiers of the default policy, failed). */
async function deleteGroupQueues(url: string, group: string, stream: string): Promise<void> {
  const names = topologyNames.rabbitmq;
  const queues = [
    names.queue(group, stream),
    ...retryTiers(DEFAULT_RETRY_POLICY).map((delay) => names.retryQueue(group, stream, delay)),
    names.failedQueue(group, stream),
  ];
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.close();
  } finally {
    await connection.close();
  }
}
