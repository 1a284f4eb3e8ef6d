/**
 * One consumer group end to end: pv-counter started with `CONSUMER_GROUP` (not its name) on the
 * shared Kafka broker and a throwaway database consumes as that group in Kafka, stores its offsets
 * (`consumer_offsets.group_id`) and claimed event ids (`processed_events.group_id`) under it, and
 * its rebuild reads that group's stored offsets, so it recounts exactly what the live path counted.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import { claimedEventIds } from '@lib/work-queue';
import {
  createThrowawayDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';
import { Kafka, logLevel } from 'kafkajs';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { DAILY_VIEWS_QUEUE } from '../src/page-views/daily-views.queue';
import { createPvCounterApp } from '../src/pv-counter.app';

const STREAM = 'page-views';
const CLIENT_KEY = 'group-client-key';
const ADMIN_KEY = 'group-admin-key';

interface PartitionOffset {
  partition: number;
  offset: string;
}

describe('pv-counter with CONSUMER_GROUP set', () => {
  // A group of its own on the shared broker, and not the app's name: everything must follow it.
  const group = uniqueName('pv-shadow');
  const apps: HttpApp[] = [];
  const dirs: string[] = [];
  let databaseUrl: string;
  let counterUrl: string;
  let ingestUrl: string;

  async function start(create: (env: Env) => Promise<HttpApp>, env: Env): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-group-'));
    dirs.push(dataDir);
    const app = await create({
      BROKER: 'kafka',
      KAFKA_BROKERS: testServices().kafkaBrokers,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      ...env,
    });
    apps.push(app);
    return app.listen();
  }

  async function post(views: readonly object[]): Promise<void> {
    const response = await fetch(`${ingestUrl}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(views),
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status !== 202)
      throw new Error(`POST /v1/page-views: ${response.status} ${await response.text()}`);
  }

  async function viewsOf(day: string): Promise<number> {
    const response = await fetch(`${counterUrl}/v1/page-views?date=${day}&limit=100`, {
      headers: { 'x-api-key': CLIENT_KEY },
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await response.json()) as { pages: Array<{ views: number }> };
    if (response.status !== 200)
      throw new Error(`GET top: ${response.status} ${JSON.stringify(body)}`);
    return body.pages.reduce((sum, page) => sum + page.views, 0);
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

  async function storedOffsets(): Promise<Map<number, bigint>> {
    const rows = await sql(
      'SELECT partition, next_offset::text AS next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
      [group, STREAM],
    );
    return new Map(rows.map((row) => [row.partition as number, BigInt(row.next_offset as string)]));
  }

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase('pv_group');
    counterUrl = await start(createPvCounterApp, {
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: group,
      API_KEYS: CLIENT_KEY,
      ADMIN_API_KEYS: ADMIN_KEY,
    });
    ingestUrl = await start(createIngestApp, {});
    const today = new Date().toISOString().slice(0, 10);
    const before = await viewsOf(today);
    const warm = uniqueName('warm');
    await post([{ eventId: warm, pageId: warm, occurredAt: new Date().toISOString() }]);
    await waitFor(async () => (await viewsOf(today)) > before, {
      timeoutMs: 90_000,
      intervalMs: 200,
      description: 'the warm-up view counted',
    });
  }, 180_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('uses the one group for the Kafka group, stored offsets, de-duplication and the rebuild', async () => {
    // A past day of this test's own (the rebuild refuses future days; other tests date views today).
    const day = `19${70 + randomInt(30)}-0${1 + randomInt(9)}-1${randomInt(9)}`;
    const prefix = uniqueName('grp');
    const views = Array.from({ length: 300 }, (_, i) => ({
      eventId: `${prefix}-ev-${i}`,
      pageId: `${prefix}-page-${i % 7}`,
      visitorId: `${prefix}-visitor-${i % 50}`,
      occurredAt: `${day}T${String(i % 24).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}Z`,
    }));
    await post(views);
    await post(views.slice(0, 40)); // a client's retry: the same eventIds again, counted once
    await waitFor(async () => (await viewsOf(day)) >= views.length, {
      timeoutMs: 120_000,
      intervalMs: 200,
      description: `${views.length} views of ${day} counted`,
    });
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would show by now
    expect(await viewsOf(day)).toBe(views.length);

    // Kafka: the consumer is a member of `group` and commits there.
    const kafka = new Kafka({
      clientId: 'consumer-group-test',
      brokers: testServices().kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([group]);
      expect(groups[0]).toMatchObject({ groupId: group, state: 'Stable' });
      expect(groups[0].members.length).toBe(1);
      const committed = await waitFor(
        async () => {
          const [topic] = await admin.fetchOffsets({ groupId: group, topics: [STREAM] });
          const positive = topic.partitions.filter((p) => BigInt(p.offset) > 0n);
          return positive.length > 0 ? positive : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, description: `offsets committed by ${group}` },
      );
      expect(committed).not.toHaveLength(0);
    } finally {
      await admin.disconnect();
    }

    // PostgreSQL: stored offsets and claimed event ids are kept under `group`, nothing else.
    expect(await sql('SELECT DISTINCT group_id, topic FROM consumer_offsets')).toEqual([
      { group_id: group, topic: STREAM },
    ]);
    const ids = views.map((v) => v.eventId);
    const claimed = (scope: string) => claimedEventIds({ query: sql }, scope, ids);
    expect((await claimed(`${group}/${DAILY_VIEWS_QUEUE}`)).size).toBe(views.length);
    expect((await claimed(`pv-counter/${DAILY_VIEWS_QUEUE}`)).size).toBe(0);

    // The rebuild reads the log up to `group`'s stored offsets: every view of the day, once.
    const storedBefore = await storedOffsets();
    const response = await fetch(`${counterUrl}/admin/rebuild?date=${day}`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY },
      signal: AbortSignal.timeout(120_000),
    });
    const body = (await response.json()) as {
      views: number;
      duplicates: number;
      toOffsets: PartitionOffset[];
    };
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ views: views.length, duplicates: 40 });
    const storedAfter = await storedOffsets();
    for (const [partition, offset] of storedBefore) {
      const reached = body.toOffsets.find((p) => p.partition === partition);
      expect(reached).toBeDefined();
      expect(BigInt(reached!.offset)).toBeGreaterThanOrEqual(offset);
      expect(BigInt(reached!.offset)).toBeLessThanOrEqual(storedAfter.get(partition)!);
    }
    expect(await viewsOf(day)).toBe(views.length);
  }, 300_000);
});
