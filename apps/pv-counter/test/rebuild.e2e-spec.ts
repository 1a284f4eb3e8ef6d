/**
 * `POST /admin/rebuild?date=` end to end on a Kafka broker of this test's own (pv-counter's group
 * and the `page-views` topic have fixed names, so a shared broker would mix this test's consumer
 * into other tests' groups) and a throwaway database: a day counted live, then corrupted in the
 * database, is rebuilt from the log to the very same numbers (views exact, unique visitors equal
 * to a sketch computed here with the same hashing: exact up to 1,000 visitors); a rebuild while views of that day keep
 * arriving ends exact; bad dates are 400, a second rebuild and a non-Kafka broker 409.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  type KafkaBroker,
  startDedicatedKafka,
  uniqueName,
  waitFor,
} from '@test/support';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { HyperLogLog } from '../src/storage';
import { sketchesMerged, viewsMerged } from './support/page-view-stream';
import { createPvCounterApp } from '../src/pv-counter.app';

interface View {
  eventId: string;
  pageId: string;
  visitorId?: string;
  occurredAt: string;
}

interface PageCount {
  pageId: string;
  views: number;
  uniqueVisitors: number;
}

interface RebuildResult {
  date: string;
  pages: number;
  views: number;
  replayedEvents: number;
  duplicates: number;
  fromOffsets: Array<{ partition: number; offset: string }>;
  toOffsets: Array<{ partition: number; offset: string }>;
  durationMs: number;
}

/** A past day of this run's own (the rebuild refuses future days), mid-month so both neighbours exist. */
function pastDay(): string {
  return `19${70 + randomInt(30)}-0${1 + randomInt(9)}-1${randomInt(9)}`;
}

function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** What the counter must show for a day: views per page by distinct eventId, and the sketch of its visitors. */
class Expected {
  private readonly ids = new Set<string>();
  readonly pages = new Map<string, { views: number; sketch?: HyperLogLog }>();

  constructor(readonly day: string) {}

  record(views: readonly View[]): void {
    for (const view of views) {
      if (view.occurredAt.slice(0, 10) !== this.day || this.ids.has(view.eventId)) continue;
      this.ids.add(view.eventId);
      const page = this.pages.get(view.pageId) ?? { views: 0 };
      this.pages.set(view.pageId, page);
      page.views++;
      if (view.visitorId !== undefined) (page.sketch ??= new HyperLogLog()).add(view.visitorId);
    }
  }

  get total(): number {
    return this.ids.size;
  }

  /** The read API's answer, most viewed first, ties by page id. */
  top(): PageCount[] {
    return [...this.pages]
      .map(([pageId, page]) => ({
        pageId,
        views: page.views,
        uniqueVisitors: page.sketch?.estimate() ?? 0,
      }))
      .sort((a, b) => b.views - a.views || (a.pageId < b.pageId ? -1 : 1));
  }
}

/**
 * `count` views of `day` over `pages` pages and `visitors` visitors (every 7th anonymous), some
 * of them dated a minute before or after the day (their neighbours), as a live stream mixes them.
 */
function generate(
  prefix: string,
  day: string,
  count: number,
  pages: number,
  visitors: number,
  start = 0,
): View[] {
  const views: View[] = [];
  for (let i = start; i < start + count; i++) {
    const edge =
      i % 23 === 0
        ? `${shiftDay(day, -1)}T23:59:30Z`
        : i % 29 === 0
          ? `${shiftDay(day, 1)}T00:00:30Z`
          : undefined;
    const second = String(i % 60).padStart(2, '0');
    const view: View = {
      eventId: `${prefix}-ev-${i}`,
      pageId: `${prefix}-page-${(i * 31) % pages}`,
      occurredAt:
        edge ??
        `${day}T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:${second}Z`,
    };
    if (i % 7 !== 0) view.visitorId = `${prefix}-visitor-${(i * 7919) % visitors}`;
    views.push(view);
  }
  return views;
}

describe('pv-counter rebuild of a day from the Kafka log', () => {
  let kafka: KafkaBroker;
  let databaseUrl: string;
  let counterUrl: string;
  let ingestUrl: string;
  const apps: HttpApp[] = [];
  const dirs: string[] = [];

  async function start(create: (env: Env) => Promise<HttpApp>, env: Env): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-rebuild-'));
    dirs.push(dataDir);
    const app = await create({
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      ...env,
    });
    apps.push(app);
    return app.listen();
  }

  async function post(views: readonly View[]): Promise<void> {
    for (let i = 0; i < views.length; i += 500) {
      const response = await fetch(`${ingestUrl}/v1/page-views`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(views.slice(i, i + 500)),
        signal: AbortSignal.timeout(30_000),
      });
      if (response.status !== 202)
        throw new Error(`POST /v1/page-views: ${response.status} ${await response.text()}`);
    }
  }

  async function top(day: string): Promise<PageCount[]> {
    const response = await fetch(`${counterUrl}/v1/page-views?date=${day}&limit=100`, {
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { pages: PageCount[] };
    if (response.status !== 200)
      throw new Error(`GET top: ${response.status} ${JSON.stringify(body)}`);
    return body.pages;
  }

  async function rebuild(
    date: string,
    url = counterUrl,
  ): Promise<{
    status: number;
    body: RebuildResult & { message?: string; details?: Array<{ field: string; problem: string }> };
  }> {
    const response = await fetch(`${url}/admin/rebuild?date=${encodeURIComponent(date)}`, {
      method: 'POST',
      signal: AbortSignal.timeout(120_000),
    });
    return { status: response.status, body: (await response.json()) as never };
  }

  /** Waits until the day's views add up to `total` (and fails at once when they exceed it). */
  async function counted(day: string, total: number): Promise<PageCount[]> {
    await waitFor(
      async () => {
        const current = await top(day);
        return current.reduce((sum, page) => sum + page.views, 0) >= total ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, description: `${total} views of ${day} counted` },
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // a late duplicate would show now
    await sketchesMerged(databaseUrl); // unique visitors trail the views by up to one sketch merge
    await viewsMerged(databaseUrl); // corrupt() edits page_views_daily itself
    return top(day);
  }

  async function sql(
    text: string,
    params: unknown[] = [],
  ): Promise<Array<Record<string, unknown>>> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(text, params)).rows as Array<Record<string, unknown>>;
    } finally {
      await client.end();
    }
  }

  /** Loses and inflates data of the day directly in the database, as an incident would. */
  async function corrupt(day: string, pages: readonly PageCount[]): Promise<void> {
    await sql('UPDATE page_views_daily SET views = views + 1000 WHERE day = $1 AND page_id = $2', [
      day,
      pages[0].pageId,
    ]);
    await sql('DELETE FROM page_visitors_daily WHERE day = $1 AND page_id = $2', [
      day,
      pages[1].pageId,
    ]);
    for (const table of ['page_views_daily', 'page_visitors_daily'])
      await sql(`DELETE FROM ${table} WHERE day = $1 AND page_id = ANY($2)`, [
        day,
        [pages[2].pageId, pages[3].pageId],
      ]);
    expect(await top(day)).not.toEqual(pages);
  }

  beforeAll(async () => {
    kafka = await startDedicatedKafka({ heapMb: 384 });
    databaseUrl = await createThrowawayDatabase('pv_rebuild');
    const env = { BROKER: 'kafka', KAFKA_BROKERS: kafka.brokers };
    // A short view merge: views are waiting and being merged while the rebuilds run.
    counterUrl = await start(createPvCounterApp, {
      ...env,
      DATABASE_URL: databaseUrl,
      VIEW_MERGE_INTERVAL_MS: '200',
    });
    ingestUrl = await start(createIngestApp, env);
    const warm = uniqueName('warm');
    const today = new Date().toISOString().slice(0, 10);
    await post([{ eventId: warm, pageId: warm, occurredAt: new Date().toISOString() }]);
    await waitFor(async () => (await top(today)).some((page) => page.pageId === warm), {
      timeoutMs: 90_000,
      intervalMs: 200,
      description: 'the warm-up view counted',
    });
  }, 240_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    await kafka?.stop();
  }, 120_000);

  it('rebuilds a corrupted day to exactly the numbers counted live, neighbours untouched', async () => {
    const prefix = uniqueName('rb');
    const day = pastDay();
    const views = generate(prefix, day, 3_000, 40, 900);
    await post(views);
    await post(views.slice(500, 800)); // a client's retry: the same eventIds again
    const expected = new Expected(day);
    expected.record(views);
    const live = await counted(day, expected.total);
    expect(live).toEqual(expected.top());
    const before = await top(shiftDay(day, -1));
    const after = await top(shiftDay(day, 1));
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);

    await corrupt(day, live);
    const { status, body } = await rebuild(day);
    expect(status).toBe(200);
    const retriedOfDay = views
      .slice(500, 800)
      .filter((view) => view.occurredAt.startsWith(day)).length;
    expect(body).toMatchObject({
      date: day,
      pages: expected.pages.size,
      views: expected.total,
      duplicates: retriedOfDay,
    });
    expect(body.replayedEvents).toBeGreaterThanOrEqual(views.length + 300);
    expect(body.fromOffsets.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(await top(day)).toEqual(live);
    expect(await top(shiftDay(day, -1))).toEqual(before);
    expect(await top(shiftDay(day, 1))).toEqual(after);

    // Rebuilding an intact day changes nothing, down to the stored sketch bytes.
    const stored = await sql(
      'SELECT v.page_id, v.views::text, s.hll FROM page_views_live AS v LEFT JOIN page_visitors_daily AS s USING (day, page_id) WHERE v.day = $1 ORDER BY v.page_id',
      [day],
    );
    expect((await rebuild(day)).status).toBe(200);
    expect(
      await sql(
        'SELECT v.page_id, v.views::text, s.hll FROM page_views_live AS v LEFT JOIN page_visitors_daily AS s USING (day, page_id) WHERE v.day = $1 ORDER BY v.page_id',
        [day],
      ),
    ).toEqual(stored);
  }, 300_000);

  it('stays exact while views of the day keep arriving during the rebuild', async () => {
    const prefix = uniqueName('rb-live');
    const day = pastDay();
    const expected = new Expected(day);
    const first = generate(prefix, day, 2_000, 30, 600);
    await post(first);
    expected.record(first);
    await corrupt(day, await counted(day, expected.total));

    const committedBefore = await sql(
      "SELECT COALESCE(sum(next_offset), 0)::text AS sum FROM consumer_offsets WHERE group_id = 'pv-counter' AND topic = 'page-views'",
    );
    let next = 2_000;
    let stop = false;
    const publisher = (async () => {
      // Small batches, back to back, with some retried: the live consumer commits all along.
      while (!stop) {
        const batch = generate(prefix, day, 40, 30, 600, next);
        next += 40;
        await post(batch);
        expected.record(batch);
        if (next % 200 === 0) await post(batch.slice(0, 10));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { status, body } = await rebuild(day);
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop = true;
    await publisher;

    expect(status).toBe(200);
    // Live commits happened between the start of the rebuild and its swap.
    const sumOf = (offsets: RebuildResult['toOffsets']) =>
      offsets.reduce((sum, p) => sum + BigInt(p.offset), 0n);
    expect(sumOf(body.toOffsets)).toBeGreaterThan(BigInt(committedBefore[0].sum as string));
    expect(next).toBeGreaterThan(2_200);
    expect(await counted(day, expected.total)).toEqual(expected.top());
  }, 300_000);

  it('answers 400 for a bad date and 409 while another rebuild runs', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const [date, problem] of [
      ['', 'is required'],
      ['2026-02-30', 'must be a calendar date YYYY-MM-DD'],
      ['yesterday', 'must be a calendar date YYYY-MM-DD'],
      [shiftDay(today, 1), 'must not be in the future'],
    ]) {
      const { status, body } = await rebuild(date);
      expect({ date, status, details: body.details }).toEqual({
        date,
        status: 400,
        details: [{ field: 'date', problem }],
      });
    }

    const both = await Promise.all([rebuild(today), rebuild(today)]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.message).toMatch(/already running/);

    // Another instance's rebuild holds the advisory lock.
    const other = new Client({ connectionString: databaseUrl });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock(hashtext('pv-counter:rebuild-day'))");
      const refused = await rebuild(today);
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/another pv-counter instance/);
    } finally {
      await other.end();
    }
    expect((await rebuild(today)).status).toBe(200);
  }, 180_000);

  it('answers 409 on a broker without a log', async () => {
    const url = await start(createPvCounterApp, {
      BROKER: 'memory',
      DATABASE_URL: await createThrowawayDatabase('pv_rebuild_memory'),
    });
    const { status, body } = await rebuild('2020-01-01', url);
    expect(status).toBe(409);
    expect(body.message).toMatch(/needs BROKER=kafka; this instance runs BROKER=memory/);
  }, 60_000);
});
