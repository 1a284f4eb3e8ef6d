/**
 * Helpers for the work-queue specs: a migrated database (optionally behind a TcpProxy), a test
 * table, events as a transport would deliver them, and a ConsumerControl double.
 */
import { openDatabase, type OpenDatabase } from '@lib/database';
import type { ConsumerControl, IncomingEvent, StreamConsumerStatus } from '@lib/queue';
import { createThrowawayDatabase } from '@test/support';
import { tmpdir } from 'node:os';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { BatchingWorkQueue } from '../src/batching-work-queue';
import { OffsetLedger } from '../src/offsets/offset-ledger';
import { StreamPauser } from '../src/stream-pauser';
import { createQueueMetrics } from '../src/work-queue.metrics';
import type { AggregateQueueOptions, AppendQueueOptions } from '../src/work-queue.options';
import { resolveSettings, type WorkQueueDefaults } from '../src/work-queue.settings';
import { unnestUpsert } from '../src/sql/unnest-upsert';

/** A page view as the specs' events carry it. */
export interface PageView {
  readonly day: string;
  readonly pageId: string;
}

/** One row of `wq_test_daily_views`. */
export interface DailyViews {
  readonly day: string;
  readonly pageId: string;
  readonly views: number;
}

/** Runs one query on its own connection, independent of the DataSource under test. */
export async function query<T extends object>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh migrated database with the specs' tables; `url` is direct, `connectUrl` what the app uses. */
export async function openTestDatabase(label: string, connectUrl?: (url: string) => string) {
  const url = await createThrowawayDatabase(label);
  const database: OpenDatabase = await openDatabase({
    DATABASE_URL: connectUrl ? connectUrl(url) : url,
    DATA_DIR: tmpdir(),
    DATABASE_POOL_SIZE: 4,
  });
  await database.dataSource.query(`
    CREATE TABLE wq_test_daily_views (
      day date NOT NULL, page_id text NOT NULL, views bigint NOT NULL,
      PRIMARY KEY (day, page_id))`);
  await database.dataSource.query(
    'CREATE TABLE log_lines (seq bigserial PRIMARY KEY, event_id text NOT NULL, line text NOT NULL)',
  );
  return { url, database, dataSource: database.dataSource };
}

/** `wq_test_daily_views` as `{ 'day|page': views }`, read directly (not through the app's pool). */
export async function dailyViews(url: string): Promise<Record<string, number>> {
  const rows = await query<{ day: string; page_id: string; views: string }>(
    url,
    "SELECT to_char(day, 'YYYY-MM-DD') AS day, page_id, views FROM wq_test_daily_views ORDER BY day, page_id",
  );
  return Object.fromEntries(rows.map((r) => [`${r.day}|${r.page_id}`, Number(r.views)]));
}

/** Stored offsets of a group as `{ 'topic[partition]': next_offset }`. */
export async function storedOffsets(url: string, group: string): Promise<Record<string, string>> {
  const rows = await query<{ topic: string; partition: number; next_offset: string }>(
    url,
    'SELECT topic, partition, next_offset::text AS next_offset FROM consumer_offsets WHERE group_id = $1',
    [group],
  );
  return Object.fromEntries(rows.map((r) => [`${r.topic}[${r.partition}]`, r.next_offset]));
}

let sequence = 0;

/** An event as a transport delivers it; the position defaults to partition 0 of the stream's topic. */
export function pageViewEvent(
  view: PageView,
  at: {
    partition?: number;
    offset?: number | string;
    eventId?: string;
    stream?: string;
    topic?: string;
  } = {},
): IncomingEvent<PageView> {
  const stream = at.stream ?? 'page-views';
  const offset = String(at.offset ?? sequence++);
  const position = { topic: at.topic ?? stream, partition: at.partition ?? 0, offset };
  return {
    stream,
    eventId:
      at.eventId ??
      `ev-${position.topic}-${position.partition}-${offset}-${Math.random().toString(36).slice(2)}`,
    payload: view,
    position,
  };
}

/** Upsert of daily views, adding to what is stored. */
export const upsertDailyViews = unnestUpsert<DailyViews>({
  table: 'wq_test_daily_views',
  columns: [
    { name: 'day', type: 'date', value: (r) => r.day },
    { name: 'page_id', type: 'text', value: (r) => r.pageId },
    { name: 'views', type: 'bigint', value: (r) => r.views },
  ],
  conflict: ['day', 'page_id'],
  update: { views: 'add' },
});

/** The aggregate shape of the specs: views per (day, page). */
export function dailyViewsShape(): Pick<
  AggregateQueueOptions<PageView, DailyViews>,
  'keyOf' | 'valueOf' | 'merge'
> {
  return {
    keyOf: (e) => `${e.payload.day}|${e.payload.pageId}`,
    valueOf: (e) => ({ day: e.payload.day, pageId: e.payload.pageId, views: 1 }),
    merge: (a, b) => ({ day: a.day, pageId: a.pageId, views: a.views + b.views }),
  };
}

/** A ConsumerControl that records what the queues ask of it. */
export class FakeConsumerControl implements ConsumerControl {
  readonly calls: Array<{ action: 'pause' | 'resume'; stream: string; at: number }> = [];
  readonly paused = new Set<string>();

  pause(stream: string): void {
    this.calls.push({ action: 'pause', stream, at: Date.now() });
    this.paused.add(stream);
  }

  resume(stream: string): void {
    this.calls.push({ action: 'resume', stream, at: Date.now() });
    this.paused.delete(stream);
  }

  isHealthy(): boolean {
    return true;
  }

  status(): StreamConsumerStatus[] {
    return [...this.paused].map((stream) => ({
      stream,
      paused: true,
      pausedBy: ['backpressure' as const],
      inFlight: 0,
    }));
  }

  count(action: 'pause' | 'resume'): number {
    return this.calls.filter((c) => c.action === action).length;
  }
}

/** What a spec passes to build a queue outside Nest. */
export interface TestQueueSetup {
  readonly dataSource: OpenDatabase['dataSource'];
  readonly ledger?: OffsetLedger;
  readonly control?: FakeConsumerControl;
  readonly metrics?: Registry;
  readonly defaults?: Partial<WorkQueueDefaults>;
}

const TEST_DEFAULTS: WorkQueueDefaults = {
  group: 'wq-test',
  flushIntervalMs: 20,
  highWatermark: 100_000,
  lowWatermark: 50_000,
  trackOffsets: false,
};

function deps(setup: TestQueueSetup, name: string) {
  return {
    dataSource: setup.dataSource,
    ledger: setup.ledger ?? new OffsetLedger(),
    pauser: new StreamPauser(() => setup.control),
    metrics: createQueueMetrics(setup.metrics ?? new Registry(), name),
  };
}

/** An aggregate queue built the way WorkQueueRegistry builds one. */
export function aggregateQueue<TEvent, TAgg>(
  setup: TestQueueSetup,
  options: AggregateQueueOptions<TEvent, TAgg>,
) {
  const settings = resolveSettings(options as never, { ...TEST_DEFAULTS, ...setup.defaults });
  const shape = { keyOf: options.keyOf, valueOf: options.valueOf, merge: options.merge };
  return new BatchingWorkQueue(shape, options.write, settings, deps(setup, settings.name));
}

/** An append queue built the way WorkQueueRegistry builds one. */
export function appendQueue<TEvent, TRow>(
  setup: TestQueueSetup,
  options: AppendQueueOptions<TEvent, TRow>,
) {
  const settings = resolveSettings(options as never, { ...TEST_DEFAULTS, ...setup.defaults });
  return new BatchingWorkQueue(
    { valueOf: options.rowOf },
    options.write,
    settings,
    deps(setup, settings.name),
  );
}

/** Whether a promise has settled yet, without waiting for it. */
export async function settledState(
  promise: Promise<unknown>,
): Promise<'pending' | 'resolved' | 'rejected'> {
  const marker = Symbol('pending');
  try {
    const value = await Promise.race([promise, new Promise((r) => setImmediate(() => r(marker)))]);
    return value === marker ? 'pending' : 'resolved';
  } catch {
    return 'rejected';
  }
}
