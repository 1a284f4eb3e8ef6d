/**
 * Paging dead letters on Kafka over real HTTP: pv-counter lists a dead-letter topic of 100 000
 * records (produced straight into `page-views.<group>.dlt`) a page at a time by per-partition
 * offsets, filters by error class and time, opens one letter, and creates no consumer group per
 * request (one long-lived reader); the measured page times are printed.
 */
import { HEADERS } from '@lib/contracts';
import type { HttpApp } from '@lib/platform';
import { topologyNames } from '@lib/retry';
import {
  createThrowawayDatabase,
  dropDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
} from '@test/support';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPvCounterApp } from '../src/pv-counter.app';

const ADMIN_KEY = 'paging-admin-key';
const RECORDS = 100_000;
const PARTITIONS = 3;

interface Letter {
  id: string;
  error: { class: string };
  payload: unknown;
  headers: Record<string, string>;
  lastFailedAt: string;
}
interface Page {
  items: Letter[];
  nextCursor: string | null;
}

describe('dead letters paged on Kafka', () => {
  let app: HttpApp;
  let url: string;
  let dir: string;
  let databaseUrl: string;
  let admin: Admin;
  const group = uniqueName('pv-counter');
  const topic = topologyNames.kafka.deadLetterTopic('page-views', group);
  const kafka = new Kafka({
    brokers: testServices().kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  // The letter at index i failed with a class by i % 4 at base + i ms.
  const base = Date.now() - 3_600_000;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITIONS }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let start = 0; start < RECORDS; start += 10_000) {
      const messages = [];
      for (let i = start; i < start + 10_000; i++) {
        const at = new Date(base + i).toISOString();
        messages.push({
          key: `k${i}`,
          partition: i % PARTITIONS,
          timestamp: String(base + i),
          value: JSON.stringify({ eventId: `ev-${i}`, pageId: `p${i}` }),
          headers: {
            [HEADERS.errorClass]: `Error${i % 4}`,
            [HEADERS.errorMessage]: 'boom',
            [HEADERS.firstFailedAt]: at,
            [HEADERS.lastFailedAt]: at,
          },
        });
      }
      await producer.send({ topic, messages });
    }
    await producer.disconnect();

    databaseUrl = await createThrowawayDatabase('dlt_paging');
    dir = await mkdtemp(join(tmpdir(), 'ep-dlt-paging-'));
    app = await createPvCounterApp({
      BROKER: 'kafka',
      KAFKA_BROKERS: testServices().kafkaBrokers,
      CONSUMER_GROUP: group,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      ADMIN_API_KEYS: ADMIN_KEY,
      SHUTDOWN_GRACE_MS: '0',
    });
    url = await app.listen();
  }, 240_000);

  afterAll(async () => {
    await app?.app.close().catch(() => undefined);
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin?.disconnect();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (databaseUrl) await dropDatabase(databaseUrl);
  }, 60_000);

  async function get<T>(path: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${url}${path}`, {
      headers: { 'x-api-key': ADMIN_KEY },
      signal: AbortSignal.timeout(60_000),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  /** Consumer groups reading this test's dead-letter topic (the index's reader names it). */
  async function readerGroups(): Promise<string[]> {
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId).filter((id) => id.includes(topic));
  }

  it('answers pages of 50 from 100 000 records by offset, without a consumer group per request', async () => {
    expect(await readerGroups()).toEqual([]);
    const t0 = performance.now();
    const first = await get<Page>('/admin/dead-letters?stream=page-views&limit=50');
    const firstMs = performance.now() - t0;
    expect(first.status).toBe(200);
    expect(first.body.items.map((l) => (l.payload as { eventId: string }).eventId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `ev-${i}`),
    );
    expect(first.body.nextCursor).toEqual(expect.any(String));

    // One reader for the topic, kept: no group per request.
    const readers = await readerGroups();
    expect(readers).toHaveLength(1);
    const timings: number[] = [];
    let cursor = first.body.nextCursor!;
    const seen = new Set(first.body.items.map((l) => l.id));
    for (let n = 1; n <= 20; n++) {
      const t = performance.now();
      const page = await get<Page>(
        `/admin/dead-letters?stream=page-views&limit=50&cursor=${encodeURIComponent(cursor)}`,
      );
      timings.push(performance.now() - t);
      expect(page.status).toBe(200);
      expect(page.body.items.map((l) => (l.payload as { eventId: string }).eventId)).toEqual(
        Array.from({ length: 50 }, (_, i) => `ev-${n * 50 + i}`),
      );
      for (const letter of page.body.items) {
        expect(seen.has(letter.id)).toBe(false);
        seen.add(letter.id);
      }
      cursor = page.body.nextCursor!;
    }
    const worst = Math.max(...timings);
    const median = [...timings].sort((a, b) => a - b)[10];
    console.log(
      `dead-letter paging, ${RECORDS} records: first page ${firstMs.toFixed(0)} ms (reader start and catch-up), ` +
        `then 20 pages of 50: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`,
    );
    expect(worst).toBeLessThan(1_000);

    const t = performance.now();
    const filtered = await get<Page>(
      `/admin/dead-letters?stream=page-views&limit=50&errorClass=Error3&from=${new Date(base + 90_000).toISOString()}&to=${new Date(base + 90_400).toISOString()}`,
    );
    console.log(
      `filtered page (errorClass and a 400 ms window): ${(performance.now() - t).toFixed(1)} ms`,
    );
    expect(filtered.body.items.map((l) => (l.payload as { eventId: string }).eventId)).toEqual(
      Array.from({ length: 100 }, (_, i) => 90_000 + i * 4 + 3)
        .filter((i) => i < 90_400)
        .slice(0, 50)
        .map((i) => `ev-${i}`),
    );
    expect(filtered.body.items.every((l) => l.error.class === 'Error3')).toBe(true);

    const id = first.body.items[7].id;
    const one = await get<Letter>(
      `/admin/dead-letters/${encodeURIComponent(id)}?stream=page-views`,
    );
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id,
      payload: { eventId: 'ev-7' },
      headers: { [HEADERS.errorClass]: 'Error3' },
    });
    expect((await get(`/admin/dead-letters/9:9?stream=page-views`)).status).toBe(404);
    expect((await get(`/admin/dead-letters?stream=page-views&cursor=not-a-cursor`)).status).toBe(
      400,
    );
    expect(await readerGroups()).toEqual(readers);
  }, 240_000);
});
