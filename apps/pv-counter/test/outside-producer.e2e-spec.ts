/**
 * The `page-views` contract of docs/producers.md, as a producer outside this repository meets it:
 * records built only from that document and sent with clients that are not this project's (Kafka's
 * own console producer on Kafka, amqplib on RabbitMQ) must each be counted exactly once by
 * pv-counter, on the UTC day the document promises: of `occurredAt`, else of `receivedAt`, else of
 * the broker's record time. A record without `eventId` breaks the contract and is dead-lettered.
 */
import amqp from 'amqplib';
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import { DEFAULT_RETRY_POLICY, retryTiers, topologyNames } from '@lib/retry';
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
import { createPvCounterApp } from '../src/pv-counter.app';
import { produceWithConsoleProducer, type ConsoleRecord } from './support/console-producer';

/** Days of the test's own (other suites' views are dated today). */
const OCCURRED_DAY = '2031-04-05';
const RECEIVED_DAY = '2031-04-06';
const RECORD_TIME_DAY = '2031-04-07';

interface PageCount {
  pageId: string;
  date: string;
  views: number;
  uniqueVisitors: number;
}

interface DeadLetter {
  payload: unknown;
  error: { class: string; message: string };
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('page-views from a producer outside this repository', () => {
  const apps: HttpApp[] = [];
  const dirs: string[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }, 120_000);

  async function startCounter(broker: 'kafka' | 'rabbitmq', group: string): Promise<string> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-outside-'));
    dirs.push(dataDir);
    const services = testServices();
    const env: Env = {
      BROKER: broker,
      KAFKA_BROKERS: services.kafkaBrokers,
      RABBITMQ_URL: services.rabbitmqUrl,
      DATABASE_URL: await createThrowawayDatabase(`pv_outside_${broker}`),
      CONSUMER_GROUP: group,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
    };
    const app = await createPvCounterApp(env);
    apps.push(app);
    const url = await app.listen();
    await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, {
      timeoutMs: 60_000,
      intervalMs: 200,
      description: 'pv-counter ready',
    });
    return url;
  }

  async function get<T>(url: string): Promise<T> {
    const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    const body = (await response.json()) as T;
    if (response.status !== 200)
      throw new Error(`GET ${url}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  }

  async function views(counter: string, pageId: string, day: string): Promise<number> {
    return (
      await get<PageCount>(`${counter}/v1/page-views/${encodeURIComponent(pageId)}?date=${day}`)
    ).views;
  }

  /** Waits until every page has its expected views on its day, then checks nothing more arrives. */
  async function expectCounts(
    counter: string,
    expected: ReadonlyArray<[pageId: string, day: string, views: number]>,
  ) {
    const total = expected.reduce((sum, [, , n]) => sum + n, 0);
    const counted = async () => {
      let sum = 0;
      for (const [pageId, day] of expected) sum += await views(counter, pageId, day);
      return sum;
    };
    await waitFor(async () => ((await counted()) >= total ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 300,
      description: `all ${total} views counted`,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const actual: Array<[string, string, number]> = [];
    for (const [pageId, day] of expected)
      actual.push([pageId, day, await views(counter, pageId, day)]);
    expect(actual).toEqual(expected);
  }

  async function deadLettersOf(counter: string, pageId: string): Promise<DeadLetter[]> {
    const { items } = await get<{ items: DeadLetter[] }>(
      `${counter}/admin/dead-letters?stream=page-views&limit=1000`,
    );
    return items.filter((item) => (item.payload as { pageId?: unknown } | null)?.pageId === pageId);
  }

  it("counts the console producer's records with and without occurredAt, receivedAt and headers, each once", async () => {
    const group = uniqueName('pv-outside');
    const counter = await startCounter('kafka', group);
    const prefix = uniqueName('outside');
    const occurredPage = `${prefix}/occurred`;
    const receivedPage = `${prefix}/received`;
    const barePage = `${prefix}/bare`;
    const anonymousPage = `${prefix}/no-event-id`;
    const record = (
      pageId: string,
      fields: Record<string, string>,
      headers?: Record<string, string>,
    ): ConsoleRecord => ({
      key: pageId,
      value: JSON.stringify({ pageId, ...fields }),
      headers,
    });

    // With the optional headers: occurredAt (any offset) and receivedAt as ingest stamps it.
    const withHeaders: ConsoleRecord[] = [];
    for (let i = 0; i < 30; i++) {
      const eventId = `${prefix}-occ-${i}`;
      withHeaders.push(
        record(
          occurredPage,
          {
            eventId,
            visitorId: `v-${i % 7}`,
            // 23:mm at +01:00 is 22:mm UTC: the same UTC day as 23:mm Z.
            occurredAt: `${OCCURRED_DAY}T23:${String(i).padStart(2, '0')}:00${i % 2 ? 'Z' : '+01:00'}`,
            receivedAt: new Date().toISOString(),
          },
          { 'x-event-id': eventId, 'x-event-type': 'page-views' },
        ),
      );
    }
    // Without occurredAt: the day of receivedAt.
    for (let i = 0; i < 20; i++) {
      const eventId = `${prefix}-rcv-${i}`;
      withHeaders.push(
        record(
          receivedPage,
          { eventId, receivedAt: `${RECEIVED_DAY}T12:00:${String(i).padStart(2, '0')}.000Z` },
          {
            'x-event-id': eventId,
          },
        ),
      );
    }
    // A producer's retry: the same eventId again must not be counted twice.
    withHeaders.push(withHeaders[0], withHeaders[31]);

    // No headers at all, neither occurredAt nor receivedAt: the day of the broker's record time.
    const bare: ConsoleRecord[] = [];
    for (let i = 0; i < 25; i++) bare.push(record(barePage, { eventId: `${prefix}-bare-${i}` }));
    bare.push(record(anonymousPage, { occurredAt: `${OCCURRED_DAY}T10:00:00Z` }));

    const { kafkaBrokers } = testServices();
    const before = Date.now();
    await produceWithConsoleProducer(kafkaBrokers, 'page-views', withHeaders);
    await produceWithConsoleProducer(kafkaBrokers, 'page-views', bare);
    const after = Date.now();

    await expectCounts(counter, [
      [occurredPage, OCCURRED_DAY, 30],
      [receivedPage, RECEIVED_DAY, 20],
    ]);
    // The bare records count on the UTC day of their record time, which lies between before and
    // after (a run across midnight UTC splits them over both days).
    const bareDays = [...new Set([utcDay(before), utcDay(after)])];
    const bareViews = await waitFor(
      async () => {
        let sum = 0;
        for (const day of bareDays) sum += await views(counter, barePage, day);
        return sum >= 25 ? sum : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'the bare records counted' },
    );
    expect(bareViews).toBe(25);
    expect(await views(counter, occurredPage, RECEIVED_DAY)).toBe(0);
    // Unique visitors trail the views by up to one sketch merge.
    const uniques = await waitFor(
      async () => {
        const url = `${counter}/v1/page-views/${encodeURIComponent(occurredPage)}?date=${OCCURRED_DAY}`;
        const { uniqueVisitors } = await get<PageCount>(url);
        return uniqueVisitors > 0 ? uniqueVisitors : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, description: 'the visitors merged' },
    );
    expect(uniques).toBe(7);

    // Without eventId the record is not counted but dead-lettered, the reason named.
    const dead = await waitFor(
      async () => {
        const items = await deadLettersOf(counter, anonymousPage);
        return items.length > 0 ? items : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: 'the record without eventId dead-lettered',
      },
    );
    expect(dead).toHaveLength(1);
    expect(dead![0].error.message).toContain('eventId');
    expect(await views(counter, anonymousPage, OCCURRED_DAY)).toBe(0);
  }, 300_000);

  it('counts RabbitMQ records by the timestamp property when they carry neither time', async () => {
    const group = uniqueName('pv-outside');
    const counter = await startCounter('rabbitmq', group);
    const { rabbitmqUrl } = testServices();
    cleanups.push(() => deleteGroupQueues(rabbitmqUrl, group, 'page-views'));
    const prefix = uniqueName('outside-rmq');
    const stampedPage = `${prefix}/stamped`;
    const occurredPage = `${prefix}/occurred`;
    const recordTime = Date.parse(`${RECORD_TIME_DAY}T08:00:00Z`);

    const connection = await amqp.connect(rabbitmqUrl);
    try {
      const channel = await connection.createConfirmChannel();
      const publish = (pageId: string, payload: object, options: amqp.Options.Publish) =>
        channel.publish('page-views', pageId, Buffer.from(JSON.stringify({ pageId, ...payload })), {
          persistent: true,
          contentType: 'application/json',
          ...options,
        });
      for (let i = 0; i < 15; i++) {
        const eventId = `${prefix}-ts-${i}`;
        // AMQP timestamps are seconds since the epoch.
        publish(
          stampedPage,
          { eventId },
          { messageId: eventId, timestamp: Math.floor(recordTime / 1000) },
        );
      }
      for (let i = 0; i < 10; i++) {
        const eventId = `${prefix}-occ-${i}`;
        publish(
          occurredPage,
          { eventId, occurredAt: `${OCCURRED_DAY}T06:00:00+02:00` },
          { headers: { 'x-event-id': eventId } },
        );
      }
      await channel.waitForConfirms();
      await channel.close();
    } finally {
      await connection.close();
    }

    await expectCounts(counter, [
      [stampedPage, RECORD_TIME_DAY, 15],
      [occurredPage, OCCURRED_DAY, 10],
    ]);
  }, 300_000);
});

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
