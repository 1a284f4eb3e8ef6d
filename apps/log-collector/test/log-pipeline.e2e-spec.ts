/**
 * The log pipeline end to end on a real Kafka broker (the test's own, so that it can be killed)
 * and a throwaway PostgreSQL database: apps record request, error and slow-query logs, ship
 * them to `app-logs` (through their own drop-oldest spool), and log-collector consumes, stores and
 * serves them (`GET /v1/logs`, `GET /v1/logs/slow-queries`). POST /v1/logs on ingest feeds the
 * same stream. With the broker down, records wait in the shipping spool and arrive afterwards.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import {
  createThrowawayDatabase,
  freeTcpPort,
  startDedicatedKafka,
  uniqueName,
  waitFor,
  type KafkaBroker,
} from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createIngestApp } from '../../ingest/src/ingest.app';
import { createPvCounterApp } from '../../pv-counter/src/pv-counter.app';
import { createLogCollectorApp } from '../src/log-collector.app';
import { createBoomApp } from './support/boom-app';

interface LogItem {
  eventId: string;
  service: string;
  kind: string;
  level: string;
  message: string;
  requestId?: string;
  durationMs?: number;
  attributes?: Record<string, unknown>;
}

describe('log pipeline: apps → app-logs (Kafka) → log-collector → PostgreSQL', () => {
  let kafka: KafkaBroker;
  let databaseUrl: string;
  const dirs: string[] = [];
  const apps: HttpApp[] = [];
  let collectorUrl: string;
  let ingestUrl: string;
  let boomUrl: string;
  let pvCounter: HttpApp;

  async function start(
    create: (env: Env) => Promise<HttpApp>,
    extra: Env = {},
  ): Promise<[HttpApp, string]> {
    const dataDir = await mkdtemp(join(tmpdir(), 'ep-log-pipeline-'));
    dirs.push(dataDir);
    const app = await create({
      BROKER: 'kafka',
      KAFKA_BROKERS: kafka.brokers,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'warn',
      BREAKER_RESET_MS: '1000',
      ...extra,
    });
    apps.push(app);
    return [app, await app.listen()];
  }

  async function logs(query: Record<string, string>): Promise<LogItem[]> {
    const response = await fetch(`${collectorUrl}/v1/logs?${new URLSearchParams(query)}`);
    if (response.status !== 200)
      throw new Error(`GET /v1/logs: ${response.status} ${await response.text()}`);
    return ((await response.json()) as { items: LogItem[] }).items;
  }

  /** Polls GET /v1/logs until it returns at least one item. */
  async function findLogs(query: Record<string, string>, timeoutMs: number): Promise<LogItem[]> {
    const found = await waitFor(
      async () => {
        const items = await logs(query);
        return items.length > 0 ? items : undefined;
      },
      { timeoutMs, intervalMs: 50, description: `a log record matching ${JSON.stringify(query)}` },
    );
    return found!;
  }

  async function get(url: string, requestId: string): Promise<number> {
    const response = await fetch(url, { headers: { 'x-request-id': requestId } });
    await response.arrayBuffer();
    return response.status;
  }

  beforeAll(async () => {
    kafka = await startDedicatedKafka();
    databaseUrl = await createThrowawayDatabase('log_pipeline');
    [, collectorUrl] = await start(createLogCollectorApp);
    [, ingestUrl] = await start(createIngestApp);
    [, boomUrl] = await start(createBoomApp);
    [pvCounter] = await start(createPvCounterApp, { SLOW_QUERY_MS: '50' });
    // Warm-up: topic creation and the first consumer group join take a while on a fresh broker.
    const warmUp = uniqueName('warm-up');
    await get(`${ingestUrl}/v1/nothing-here`, warmUp);
    await findLogs({ requestId: warmUp }, 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close().catch(() => undefined);
    await kafka?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('stores the request log of a request to ingest and to another app, findable by requestId within 2 s', async () => {
    const ingestRequest = uniqueName('req-ingest');
    const body = JSON.stringify({ pageId: 'home' });
    const accepted = await fetch(`${ingestUrl}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': ingestRequest },
      body,
    });
    expect(accepted.status).toBe(202);
    const otherRequest = uniqueName('req-boom');
    expect(await get(`${boomUrl}/v1/boom/ok`, otherRequest)).toBe(200);

    const [fromIngest, fromOther] = await Promise.all([
      findLogs({ requestId: ingestRequest }, 2_000),
      findLogs({ requestId: otherRequest }, 2_000),
    ]);
    expect(fromIngest).toEqual([
      expect.objectContaining({ service: 'ingest', kind: 'request', requestId: ingestRequest }),
    ]);
    expect(fromIngest[0].attributes).toEqual(
      expect.objectContaining({ method: 'POST', route: '/v1/page-views', status: 202 }),
    );
    expect(fromOther).toEqual([
      expect.objectContaining({ service: 'boom-app', kind: 'request', requestId: otherRequest }),
    ]);
  }, 30_000);

  it('stores the error log of a request that threw, with its stack', async () => {
    const requestId = uniqueName('req-fail');
    expect(await get(`${boomUrl}/v1/boom/fail`, requestId)).toBe(500);

    const errors = await findLogs({ requestId, kind: 'error' }, 10_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toEqual(
      expect.objectContaining({
        service: 'boom-app',
        level: 'error',
        message: 'boom: the test route failed on purpose',
      }),
    );
    expect(errors[0].attributes).toEqual(
      expect.objectContaining({ class: 'BoomError', status: 500 }),
    );
    expect(String(errors[0].attributes?.stack)).toContain('BoomController.fail');
    // The request itself is recorded too, as a 500.
    const requests = await findLogs({ requestId, kind: 'request' }, 10_000);
    expect(requests[0].attributes).toEqual(expect.objectContaining({ status: 500 }));
  }, 30_000);

  it('stores records POSTed to ingest /v1/logs', async () => {
    const requestId = uniqueName('posted');
    const response = await fetch(`${ingestUrl}/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          service: 'checkout-web',
          kind: 'error',
          level: 'error',
          message: 'payment widget crashed',
          requestId,
          attributes: { browser: 'x' },
        },
        {
          service: 'checkout-web',
          kind: 'request',
          level: 'info',
          message: 'GET /cart',
          requestId,
          durationMs: 12,
        },
      ]),
    });
    expect(response.status).toBe(202);
    const { eventIds } = (await response.json()) as { eventIds: string[] };

    const found = await waitFor(
      async () => {
        const items = await logs({ requestId, service: 'checkout-web' });
        return items.length === 2 ? items : undefined;
      },
      { timeoutMs: 10_000, description: 'both posted records' },
    );
    expect(found!.map((item) => item.eventId).sort()).toEqual([...eventIds].sort());
    expect(found!.find((item) => item.kind === 'error')).toEqual(
      expect.objectContaining({ message: 'payment widget crashed', attributes: { browser: 'x' } }),
    );
  }, 30_000);

  it('reports a slow query in /v1/logs/slow-queries without its parameter values', async () => {
    const secret = `s3cret-${uniqueName('param')}`;
    const dataSource = pvCounter.app.get(DataSource);
    await dataSource.query('SELECT pg_sleep(0.1) WHERE $1 = $1', [secret]);

    const records = await findLogs({ service: 'pv-counter', kind: 'query', q: 'pg_sleep' }, 10_000);
    expect(records[0].durationMs).toBeGreaterThanOrEqual(50);
    const report = await waitFor(
      async () => {
        const response = await fetch(`${collectorUrl}/v1/logs/slow-queries?minDurationMs=50`);
        const body = (await response.json()) as {
          items: Array<{ query: string; count: number; maxMs: number }>;
        };
        return body.items.find((item) => item.query.includes('pg_sleep')) ? body : undefined;
      },
      { timeoutMs: 10_000, description: 'pg_sleep in the slow-query report' },
    );
    const item = report!.items.find((entry) => entry.query.includes('pg_sleep'))!;
    expect(item.count).toBeGreaterThanOrEqual(1);
    expect(item.maxMs).toBeGreaterThanOrEqual(50);
    const everything = JSON.stringify({ records, report });
    expect(everything).not.toContain(secret);
  }, 30_000);

  it('spools records while the broker is down and delivers them after it returns', async () => {
    const requestIds: string[] = [];
    await kafka.kill();
    try {
      for (let i = 0; i < 5; i++) {
        const requestId = uniqueName(`outage-${i}`);
        requestIds.push(requestId);
        // Requests keep being answered while the broker is away.
        expect(await get(`${boomUrl}/v1/boom/ok`, requestId)).toBe(200);
      }
      // The shipper hands them to its spool (the breaker times out or is open).
      await waitFor(
        async () => {
          const metrics = await (await fetch(`${boomUrl}/metrics`)).text();
          const depth = /spool_depth_events\{spool="logs"\} (\d+)/.exec(metrics);
          return depth !== null && Number(depth[1]) >= requestIds.length;
        },
        { timeoutMs: 30_000, description: "the log records in the boom app's spool" },
      );
    } finally {
      await kafka.restart();
    }
    for (const requestId of requestIds) {
      await findLogs({ requestId }, 60_000);
    }
  }, 150_000);
});
