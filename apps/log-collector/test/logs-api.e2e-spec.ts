/**
 * log-collector's query routes over HTTP (fastify inject) on the real app with a real database:
 * the contract's responses, field-level 400s for every bad parameter (never a 500), paging by
 * cursor, the slow-query report, and what start-up prepares (today's partitions, the slow-query
 * logger on the DataSource).
 */
import type { HttpApp } from '@lib/platform';
import { QueryLogger } from '@lib/observability';
import { createThrowawayDatabase } from '@test/support';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createLogCollectorApp } from '../src/log-collector.app';
import { addDays, dayOf, partitionName } from '../src/logs/day-partitions';
import { LogStore } from '../src/logs';
import { isoAgo, makeLog } from './log-database';

describe('log-collector /v1/logs', () => {
  let created: HttpApp;
  let dataDir: string;
  const now = Date.now();

  const get = async (url: string): Promise<LightMyRequestResponse> =>
    created.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url } as InjectOptions);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-log-collector-api-'));
    created = await createLogCollectorApp({
      DATABASE_URL: await createThrowawayDatabase('log_collector_api'),
      DATA_DIR: dataDir,
      DATABASE_POOL_SIZE: '3',
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
      PORT: '3999',
    });
    await created.app.init();
    await created.app.get(LogStore).insertBatch([
      makeLog({
        eventId: 'r1',
        service: 'ingest',
        requestId: 'req-1',
        message: 'GET /v1/ticks 202',
        occurredAt: isoAgo(3000, now),
      }),
      makeLog({
        eventId: 'e1',
        service: 'ingest',
        kind: 'error',
        level: 'error',
        message: 'broker down',
        requestId: 'req-1',
        attributes: { class: 'KafkaJSError' },
        occurredAt: isoAgo(2000, now),
      }),
      makeLog({
        eventId: 'q1',
        service: 'aggregator',
        kind: 'query',
        level: 'warn',
        message: 'SELECT pg_sleep(1)',
        durationMs: 1000,
        occurredAt: isoAgo(1000, now),
      }),
      makeLog({
        eventId: 'q2',
        service: 'aggregator',
        kind: 'query',
        level: 'warn',
        message: 'SELECT pg_sleep(0.5)',
        durationMs: 500,
        occurredAt: isoAgo(500, now),
      }),
    ]);
  });

  afterAll(async () => {
    await created?.app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has created today’s and the next two days’ partitions at start-up', async () => {
    const rows: Array<{ present: boolean }> = await created.app
      .get(DataSource)
      .query('SELECT to_regclass(unnest($1::text[])) IS NOT NULL AS present', [
        [0, 1, 2].map((n) => partitionName(addDays(dayOf(new Date()), n))),
      ]);
    expect(rows).toEqual([{ present: true }, { present: true }, { present: true }]);
  });

  it('records its own slow queries: the DataSource has the query logger', () => {
    expect(created.app.get(DataSource).logger).toBeInstanceOf(QueryLogger);
    expect(created.app.get(DataSource).options.maxQueryExecutionTime).toBe(200);
  });

  it('GET /v1/logs answers { items, nextCursor }, newest first', async () => {
    const response = await get('/v1/logs');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.items.map((item: { eventId: string }) => item.eventId)).toEqual([
      'q2',
      'q1',
      'e1',
      'r1',
    ]);
    expect(body.nextCursor).toBeNull();
    expect(body.items[2]).toEqual({
      id: expect.any(String),
      eventId: 'e1',
      service: 'ingest',
      kind: 'error',
      level: 'error',
      message: 'broker down',
      requestId: 'req-1',
      attributes: { class: 'KafkaJSError' },
      occurredAt: isoAgo(2000, now),
      receivedAt: expect.any(String),
    });
  });

  it('filters and pages through the query string', async () => {
    const first = (await get('/v1/logs?service=ingest&requestId=req-1&limit=1')).json();
    expect(first.items.map((item: { eventId: string }) => item.eventId)).toEqual(['e1']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (
      await get(`/v1/logs?service=ingest&requestId=req-1&limit=1&cursor=${first.nextCursor}`)
    ).json();
    expect(second).toEqual({
      items: [expect.objectContaining({ eventId: 'r1' })],
      nextCursor: null,
    });

    const from = encodeURIComponent(isoAgo(2500, now));
    const to = isoAgo(750, now).replace('Z', '+00:00'); // a '+' left unencoded arrives as a space
    const window = (
      await get(`/v1/logs?from=${from}&to=${to}&kind=error&level=error&q=BROKER`)
    ).json();
    expect(window.items.map((item: { eventId: string }) => item.eventId)).toEqual(['e1']);
  });

  it.each([
    ['/v1/logs?kind=trace', 'kind', 'must be one of request, error, query'],
    ['/v1/logs?level=loud', 'level', 'must be one of debug, info, warn, error, fatal'],
    ['/v1/logs?service=', 'service', 'must not be empty'],
    [`/v1/logs?service=${'s'.repeat(101)}`, 'service', 'must be at most 100 characters'],
    ['/v1/logs?requestId=%01', 'requestId', 'must not contain control characters'],
    ['/v1/logs?q=', 'q', 'must not be empty'],
    [
      '/v1/logs?from=yesterday',
      'from',
      'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
    ],
    [
      '/v1/logs?to=2026-01-01T00:00:00',
      'to',
      'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
    ],
    ['/v1/logs?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to', 'must not be before from'],
    ['/v1/logs?limit=0', 'limit', 'must be an integer between 1 and 500'],
    ['/v1/logs?limit=501', 'limit', 'must be an integer between 1 and 500'],
    ['/v1/logs?limit=ten', 'limit', 'must be an integer between 1 and 500'],
    ['/v1/logs?limit=1.5', 'limit', 'must be an integer between 1 and 500'],
    ['/v1/logs?cursor=not-a-cursor', 'cursor', 'is not a cursor returned by this service'],
    [
      `/v1/logs?cursor=${Buffer.from('["2026-01-01T00:00:00.000000Z","1 OR 1=1"]').toString('base64url')}`,
      'cursor',
      'is not a cursor returned by this service',
    ],
    [
      `/v1/logs?cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
      'cursor',
      'is not a cursor returned by this service',
    ],
    ['/v1/logs?service=a&service=b', 'service', 'must be given once'],
    ['/v1/logs?sevrice=ingest', 'sevrice', 'is not a known field'],
    ['/v1/logs/slow-queries?minDurationMs=-1', 'minDurationMs', 'must be a number >= 0'],
    ['/v1/logs/slow-queries?minDurationMs=fast', 'minDurationMs', 'must be a number >= 0'],
    ['/v1/logs/slow-queries?limit=101', 'limit', 'must be an integer between 1 and 100'],
    [
      '/v1/logs/slow-queries?from=soon',
      'from',
      'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
    ],
    [
      '/v1/logs/slow-queries?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
      'to',
      'must not be before from',
    ],
    ['/v1/logs/slow-queries?from=2999-01-01T00:00:00Z', 'from', 'must not be after to'],
    ['/v1/logs/slow-queries?service=ingest', 'service', 'is not a known field'],
  ])('GET %s → 400 naming %s', async (url, field, problem) => {
    const response = await get(url);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: `${field}: ${problem}`,
      details: [{ field, problem }],
    });
  });

  it('names every bad parameter at once', async () => {
    const response = await get('/v1/logs?kind=x&limit=0');
    expect(response.statusCode).toBe(400);
    expect(response.json().details).toEqual([
      { field: 'kind', problem: 'must be one of request, error, query' },
      { field: 'limit', problem: 'must be an integer between 1 and 500' },
    ]);
  });

  it('GET /v1/logs/slow-queries reports the window’s statements, worst p95 first', async () => {
    const response = await get('/v1/logs/slow-queries');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [{ query: 'SELECT pg_sleep(?)', count: 2, p50Ms: 750, p95Ms: 975, maxMs: 1000 }],
    });
    const fast = (await get('/v1/logs/slow-queries?minDurationMs=600&limit=5')).json();
    expect(fast.items).toEqual([
      { query: 'SELECT pg_sleep(?)', count: 1, p50Ms: 1000, p95Ms: 1000, maxMs: 1000 },
    ]);
  });
});
