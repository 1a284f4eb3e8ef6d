/**
 * Delivery results end to end on the real brokers and a throwaway PostgreSQL database: ingest
 * (in process) publishes `delivery-results`, the aggregator stores every status change, and its
 * read routes must answer each message's complete history in occurrence order with the right
 * latest status, and each request's messages, even though every change is published twice (a
 * client retry with the same eventIds) and in an order unrelated to when it occurred.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { createAggregatorApp } from '../src/aggregator.app';
import { deleteAggregatorQueues } from './support/aggregator-queues';
import { planDeliveries, type ExpectedDelivery } from './support/delivery-plan';
import { getJson, postEvents } from './support/http';

interface Page {
  items: ExpectedDelivery[];
  nextCursor: string | null;
}

interface ErrorBody {
  statusCode: number;
  message: string;
  details?: Array<{ field: string; problem: string }>;
}

const MESSAGES = 150;

describe.each(['kafka', 'rabbitmq'])('delivery results on %s', (broker) => {
  const dirs: string[] = [];
  const apps: HttpApp[] = [];
  let databaseUrl: string;
  let aggregatorUrl: string;
  let ingestUrl: string;

  async function start(create: (env: Env) => Promise<HttpApp>, env: Env): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-aggregator-'));
    dirs.push(dataDir);
    const services = testServices();
    const app = await create({
      BROKER: broker,
      KAFKA_BROKERS: services.kafkaBrokers,
      RABBITMQ_URL: services.rabbitmqUrl,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      LOG_SHIP: 'false',
      ...env,
    });
    apps.push(app);
    return app.listen();
  }

  const post = (events: readonly object[]) =>
    postEvents(`${ingestUrl}/v1/delivery-results`, events);
  const get = <T>(path: string) => getJson<T>(`${aggregatorUrl}${path}`);
  const message = (messageId: string) =>
    get<ExpectedDelivery>(`/v1/delivery-results/${encodeURIComponent(messageId)}`);

  async function storedRows(prefix: string): Promise<number> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM delivery_results WHERE starts_with(message_id, $1)',
        [prefix],
      );
      return rows[0].n;
    } finally {
      await client.end();
    }
  }

  // A group of its own: other aggregator suites share the brokers (and would share partitions or queues).
  const group = uniqueName('aggregator');

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase(`delivery_results_${broker}`);
    aggregatorUrl = await start(createAggregatorApp, {
      DATABASE_URL: databaseUrl,
      CONSUMER_GROUP: group,
    });
    ingestUrl = await start(createIngestApp, {});
    // Warm-up: the first consumer join and topic/queue creation take a while on a busy machine.
    const warm = uniqueName('warm');
    await post([{ messageId: warm, channel: 'sms', status: 'accepted' }]);
    await waitFor(async () => (await message(warm)).status === 200, {
      timeoutMs: 90_000,
      intervalMs: 200,
      description: 'the warm-up result stored',
    });
  }, 180_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    if (broker === 'rabbitmq') await deleteAggregatorQueues(testServices().rabbitmqUrl, group);
  }, 120_000);

  it('stores every status change once, answers complete ordered histories and the latest status', async () => {
    const prefix = uniqueName(`dr-${broker}`);
    const plan = planDeliveries(prefix, MESSAGES);
    for (let i = 0; i < plan.events.length; i += 100) {
      const batch = plan.events.slice(i, i + 100);
      expect(await post(batch)).toEqual(batch.map((event) => event.eventId));
      await post(batch); // the client did not see the 202 and retries: same eventIds
    }
    await post(plan.events.slice(0, 50)); // and a late retry of the first changes

    const total = plan.events.length;
    await waitFor(async () => (await storedRows(prefix)) >= total, {
      timeoutMs: 120_000,
      intervalMs: 250,
      description: `all ${total} status changes stored`,
    });
    for (const expected of plan.expected.values()) {
      const { status, body } = await message(expected.messageId);
      expect({ status, body }).toEqual({ status: 200, body: expected });
    }
    // Nothing arrives later: a duplicate that slipped through would show up after the total.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await storedRows(prefix)).toBe(total);
  }, 300_000);

  it('answers the messages of a request in message-id order, paged by a cursor', async () => {
    const prefix = uniqueName(`dr-req-${broker}`);
    const plan = planDeliveries(prefix, 24);
    await post(plan.events);
    await waitFor(async () => (await storedRows(prefix)) >= plan.events.length, {
      timeoutMs: 90_000,
      intervalMs: 250,
      description: `all ${plan.events.length} status changes stored`,
    });
    for (const [requestId, messageIds] of plan.requests) {
      const { status, body } = await get<Page>(
        `/v1/delivery-results?requestId=${encodeURIComponent(requestId)}`,
      );
      expect(status).toBe(200);
      expect(body).toEqual({
        items: messageIds.map((id) => plan.expected.get(id)),
        nextCursor: null,
      });
    }
    // Page through the largest request two messages at a time.
    const [requestId, messageIds] = [...plan.requests].sort((a, b) => b[1].length - a[1].length)[0];
    expect(messageIds.length).toBeGreaterThanOrEqual(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `requestId=${encodeURIComponent(requestId)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const { status, body }: { status: number; body: Page } = await get<Page>(
        `/v1/delivery-results?${query}`,
      );
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((item) => item.messageId));
      cursor = body.nextCursor;
    } while (cursor !== null && seen.length <= messageIds.length);
    expect(seen).toEqual(messageIds);
    const unknown = await get<Page>(
      `/v1/delivery-results?requestId=${encodeURIComponent(`${prefix}-none`)}`,
    );
    expect(unknown).toEqual({ status: 200, body: { items: [], nextCursor: null } });
  }, 180_000);

  it('answers 400 with the field for bad input and 404 for an unknown message, never 500', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/delivery-results', 'requestId'],
      ['/v1/delivery-results?requestId=', 'requestId'],
      [`/v1/delivery-results?requestId=${'r'.repeat(101)}`, 'requestId'],
      ['/v1/delivery-results?requestId=r&limit=0', 'limit'],
      ['/v1/delivery-results?requestId=r&limit=501', 'limit'],
      ['/v1/delivery-results?requestId=r&limit=many', 'limit'],
      ['/v1/delivery-results?requestId=r&cursor=%21%21', 'cursor'],
      ['/v1/delivery-results?requestId=r&status=sent', 'status'],
      [`/v1/delivery-results/${'m'.repeat(101)}`, 'messageId'],
      [`/v1/delivery-results/${encodeURIComponent('é'.repeat(101))}`, 'messageId'],
      ['/v1/delivery-results/a%07b', 'messageId'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await get<ErrorBody>(path);
      expect({ path, status }).toEqual({ path, status: 400 });
      expect(body.details?.map((detail) => detail.field)).toContain(field);
    }
    const missing = `never-seen-${uniqueName('m')}`;
    const { status, body } = await message(missing);
    expect(status).toBe(404);
    expect(body).toEqual(expect.objectContaining({ statusCode: 404 }));
    expect((body as unknown as ErrorBody).message).toContain(missing);
  }, 60_000);
});
