/**
 * Shared by pv-counter's failure e2e tests: a Kafka broker of the test's own with an in-process
 * ingest in front of it, a planned stream of page views with known counts, a paced sender that
 * records every ingest answer, and the database and read-API checks.
 *
 * Why a broker of the test's own: pv-counter's consumer group is its app name and its stream is
 * fixed (`page-views`), so on the shared broker any other suite's pv-counter would join the same
 * group and take partitions, and their events would be counted in another database.
 */
import type { HttpApp } from '@lib/platform';
import { freeTcpPort, startDedicatedKafka, waitFor, type KafkaBroker } from '@test/support';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createIngestApp } from '../../../ingest/src/ingest.app';
import { EXACT_LIMIT, HyperLogLog } from '../../src/storage';
import { seededRandom } from './seeded-random';

/** One page view as posted to ingest. */
export interface PlannedView {
  eventId: string;
  pageId: string;
  visitorId?: string;
  occurredAt: string;
}

/** What the read API must answer per page at the end. */
export interface ExpectedPage {
  views: number;
  visitors: Set<string>;
}

/** A stream of views on a day of its own, with the exact counts per page. */
export interface ViewPlan {
  day: string;
  views: PlannedView[];
  expected: Map<string, ExpectedPage>;
}

/**
 * `count` views over `pages` pages (page i weighted 1/(i+1), so a few are hot) on a random day of
 * its own; visitors drawn from `visitors` ids, every 10th view anonymous (a view, not a unique).
 * Pages and visitors are drawn from `seed`, so each page gets the same visitors on every run and
 * a page past the exact limit its unique-visitor estimate, with it, the same error (only the day
 * is random).
 */
export function planViews(
  prefix: string,
  count: number,
  pages: number,
  visitors: number,
  seed = 1,
): ViewPlan {
  const day = `20${30 + randomInt(60)}-0${1 + randomInt(9)}-1${randomInt(10)}`;
  const random = seededRandom(seed);
  const weights: number[] = [];
  let total = 0;
  for (let p = 0; p < pages; p++) weights.push((total += 1 / (p + 1)));
  const expected = new Map<string, ExpectedPage>();
  const views: PlannedView[] = [];
  for (let n = 0; n < count; n++) {
    const u = random() * total;
    const p = weights.findIndex((w) => w >= u);
    const pageId = `${prefix}-page-${p}`;
    let entry = expected.get(pageId);
    if (!entry) expected.set(pageId, (entry = { views: 0, visitors: new Set() }));
    const view: PlannedView = {
      eventId: `${prefix}-ev-${n}`,
      pageId,
      occurredAt: `${day}T${String(n % 24).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00Z`,
    };
    if (n % 10 !== 0) {
      view.visitorId = `${prefix}-visitor-${Math.floor(random() * visitors)}`;
      entry.visitors.add(view.visitorId);
    }
    entry.views++;
    views.push(view);
  }
  return { day, views, expected };
}

/**
 * The unique visitors pv-counter must answer for a page with exactly these visitors: their number
 * while at most EXACT_LIMIT (a sketch holds their hashes), else the estimate of one HyperLogLog of
 * them all. Either way the stored sketch is one function of the set of visitors, however they
 * were flushed, replayed or merged, so any other answer means a visitor was lost or one of
 * another page (or day) was added.
 */
export function expectedUniques(visitors: ReadonlySet<string>): number {
  if (visitors.size <= EXACT_LIMIT) return visitors.size;
  const sketch = new HyperLogLog();
  for (const visitor of visitors) sketch.add(visitor);
  return sketch.estimate();
}

/**
 * What is wrong with a page's `uniqueVisitors` (undefined when right): it must be exactly
 * {@link expectedUniques}, and above EXACT_LIMIT that estimate within 2 % of their number (the
 * standard error is 0.81 %; the pages and visitors come from a fixed seed, so an estimate's error
 * is the same on every run).
 */
export function uniquesProblem(
  pageId: string,
  uniqueVisitors: number,
  visitors: ReadonlySet<string>,
): string | undefined {
  const expected = expectedUniques(visitors);
  if (visitors.size <= EXACT_LIMIT && uniqueVisitors !== expected)
    return `${pageId}: ${uniqueVisitors} unique visitors, expected exactly ${expected}`;
  if (uniqueVisitors !== expected)
    return `${pageId}: ${uniqueVisitors} unique visitors, but the sketch of its ${visitors.size} visitors estimates ${expected}`;
  if (Math.abs(uniqueVisitors - visitors.size) > visitors.size * 0.02)
    return `${pageId}: ${uniqueVisitors} unique visitors, expected ${visitors.size} ± 2 %`;
  return undefined;
}

/** A dedicated Kafka broker and ingest publishing `page-views` to it. */
export interface IngestOnKafka {
  readonly kafka: KafkaBroker;
  readonly ingestUrl: string;
  close(): Promise<void>;
}

/** Starts a broker of the test's own and ingest (in process, BROKER=kafka) in front of it. */
export async function startIngestOnOwnKafka(): Promise<IngestOnKafka> {
  const kafka = await startDedicatedKafka();
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-ingest-'));
  let ingest: HttpApp | undefined;
  try {
    ingest = await createIngestApp({
      BROKER: 'kafka',
      KAFKA_BROKERS: kafka.brokers,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
    });
    const ingestUrl = await ingest.listen();
    return {
      kafka,
      ingestUrl,
      async close() {
        await ingest?.app.close().catch(() => undefined);
        await kafka.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await ingest?.app.close().catch(() => undefined);
    await kafka.stop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Every ingest answer of a paced send: status (0 for no answer) and when. */
export interface SendLog {
  statuses: number[];
  /** Requests whose answer was not 202, with what came back. */
  failures: string[];
}

/**
 * Posts `views` to ingest in requests of `perRequest`, one request every `everyMs` (a steady
 * stream, not a burst), and records every answer; resolves when all were sent.
 */
export async function sendPaced(
  ingestUrl: string,
  views: readonly PlannedView[],
  perRequest: number,
  everyMs: number,
  log: SendLog,
): Promise<void> {
  for (let i = 0; i < views.length; i += perRequest) {
    const started = Date.now();
    const batch = views.slice(i, i + perRequest);
    try {
      const response = await fetch(`${ingestUrl}/v1/page-views`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(30_000),
      });
      log.statuses.push(response.status);
      const text = await response.text();
      if (response.status !== 202)
        log.failures.push(`request ${i / perRequest}: ${response.status} ${text.slice(0, 300)}`);
    } catch (error) {
      log.statuses.push(0);
      log.failures.push(`request ${i / perRequest}: ${(error as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
  }
}

/** Views counted for `day` at `databaseUrl`, merged or waiting (page_views_live; 0 before the migration ran). */
export async function storedViews(databaseUrl: string, day: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      "SELECT CASE WHEN to_regclass('page_views_live') IS NULL THEN '0' " +
        'ELSE (SELECT coalesce(sum(views), 0)::text FROM page_views_live WHERE day = $1::date) END AS n',
      [day],
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * Waits until pv-counter's sketch merge has caught up (page_visitor_updates is empty):
 * `uniqueVisitors` trails `views` by up to SKETCH_MERGE_INTERVAL_MS.
 */
export function sketchesMerged(databaseUrl: string, timeoutMs = 30_000): Promise<void> {
  return drained(
    databaseUrl,
    'page_visitor_updates',
    'flushed visitors merged into the sketches',
    timeoutMs,
  );
}

/**
 * Waits until pv-counter's view merge has caught up (page_view_updates is empty), for tests that
 * look at page_views_daily itself: readers see waiting views at once (page_views_live).
 */
export function viewsMerged(databaseUrl: string, timeoutMs = 30_000): Promise<void> {
  return drained(
    databaseUrl,
    'page_view_updates',
    'flushed views merged into page_views_daily',
    timeoutMs,
  );
}

async function drained(
  databaseUrl: string,
  table: string,
  description: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM ${table}`,
        );
        return rows[0].n === 0 ? true : undefined;
      } finally {
        await client.end();
      }
    },
    { timeoutMs, intervalMs: 100, description },
  );
}

/** A page as the read API gives it. */
export interface PageCount {
  pageId: string;
  views: number;
  uniqueVisitors: number;
}

/** The read API's pages of `day`, most viewed first (up to 100). */
export async function readTopPages(counterUrl: string, day: string): Promise<PageCount[]> {
  const response = await fetch(`${counterUrl}/v1/page-views?date=${day}&limit=100`, {
    signal: AbortSignal.timeout(15_000),
  });
  const body = (await response.json()) as { pages: PageCount[] };
  if (response.status !== 200)
    throw new Error(`GET /v1/page-views: ${response.status} ${JSON.stringify(body)}`);
  return body.pages;
}

/**
 * Compares the read API's answer for every planned page (one GET each) with the plan: views
 * exact, uniques as {@link uniquesProblem} requires. Returns the mismatches (empty when right).
 */
export async function compareWithPlan(counterUrl: string, plan: ViewPlan): Promise<string[]> {
  const problems: string[] = [];
  for (const [pageId, want] of plan.expected) {
    const response = await fetch(
      `${counterUrl}/v1/page-views/${encodeURIComponent(pageId)}?date=${plan.day}`,
      { signal: AbortSignal.timeout(15_000) },
    );
    const got = (await response.json()) as PageCount;
    if (response.status !== 200) problems.push(`${pageId}: GET answered ${response.status}`);
    else if (got.views !== want.views)
      problems.push(`${pageId}: ${got.views} views, expected ${want.views}`);
    else {
      const problem = uniquesProblem(pageId, got.uniqueVisitors, want.visitors);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}
