/**
 * Request and error log records of an app built with createHttpApp: what they hold (request id,
 * route pattern, status, duration; class, message and stack) and what they never hold (API keys,
 * authorization, cookies, secret query parameters), in the records and in the stdout lines alike.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Param, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { logInput } from '@lib/contracts';
import {
  LogSink,
  NullLogSink,
  RequestLogSummary,
  RingLogSink,
  type LogRecord,
} from '@lib/observability';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { createHttpApp, type HttpApp } from './create-http-app';
import { PlatformModule } from './platform.module';

const API_KEY = 'api-key-value-7f3a9c';
const SECRETS = [
  API_KEY,
  'bearer-value-81d2',
  'cookie-value-5e6b',
  'token-value-c0ffee',
  'pw-value-babe',
];

class LedgerCorruptedError extends Error {
  override readonly name = 'LedgerCorruptedError';
}

@Controller()
class ItemsController {
  @Get('v1/items/:itemId')
  item(@Param('itemId') itemId: string) {
    return { itemId };
  }

  @Get('v1/ledger')
  ledger(): never {
    throw new LedgerCorruptedError('ledger 12 is corrupted');
  }
}

@Module({})
class ItemsModule {
  static register(env: Env): DynamicModule {
    return {
      module: ItemsModule,
      imports: [PlatformModule.forRoot('items', env)],
      controllers: [ItemsController],
    };
  }
}

describe('request and error log records', () => {
  let created: HttpApp | undefined;
  let stdout: string[];

  async function start(env: Env = {}): Promise<HttpApp> {
    created = await createHttpApp({
      name: 'items',
      defaultPort: 3998,
      env: { LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '0', API_KEYS: API_KEY, ...env },
      module: (appEnv) => ItemsModule.register(appEnv),
    });
    await created.app.init();
    return created;
  }

  const inject = (options: InjectOptions): Promise<LightMyRequestResponse> =>
    created!.app.getHttpAdapter().getInstance().inject(options);

  /** Records written so far (the app's sink is the ring a shipper would drain). */
  const records = (): LogRecord[] => (created!.app.get(LogSink) as RingLogSink).drain();

  const headers = {
    'x-api-key': API_KEY,
    authorization: 'Bearer bearer-value-81d2',
    cookie: 'sid=cookie-value-5e6b',
  };

  beforeEach(() => {
    stdout = [];
    // The JSON lines go to stdout; keep them for assertions instead of printing them.
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });

  afterEach(async () => {
    await created?.app.close();
    created = undefined;
    jest.restoreAllMocks();
  });

  it('records a request with its id, route pattern, status and duration, and no secret', async () => {
    await start();
    const response = await inject({
      method: 'GET',
      url: '/v1/items/4711?token=token-value-c0ffee&password=pw-value-babe&page=2',
      headers: { ...headers, 'x-request-id': 'req-items-1' },
    });
    expect(response.statusCode).toBe(200);

    const [record, ...others] = records();
    expect(others).toEqual([]);
    expect(record).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      service: 'items',
      kind: 'request',
      level: 'info',
      message: 'GET /v1/items/:itemId 200',
      requestId: 'req-items-1',
      durationMs: expect.any(Number),
      attributes: {
        method: 'GET',
        route: '/v1/items/:itemId',
        status: 200,
        query: { token: '[redacted]', password: '[redacted]', page: '2' },
      },
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    // What POST /v1/logs and the app-logs consumer accept, unchanged.
    expect(logInput.safeParse(record).error).toBeUndefined();
    expect(record.durationMs).toBeGreaterThanOrEqual(0);
    expect(record.durationMs).toBeLessThan(5_000);

    const everything = JSON.stringify(record) + stdout.join('');
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
    expect(everything).not.toContain('4711');

    const line = stdout
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text))
      .find((l) => l.kind === 'request');
    expect(line).toEqual(
      expect.objectContaining({
        level: 'info',
        app: 'items',
        context: 'items request',
        msg: 'GET /v1/items/:itemId 200',
        requestId: 'req-items-1',
        route: '/v1/items/:itemId',
        status: 200,
        eventId: record.eventId,
      }),
    );
  });

  it('records requests refused before the handler (401) and unmatched ones (404) without secrets', async () => {
    await start();
    await inject({
      method: 'GET',
      url: '/v1/items/1',
      headers: { 'x-api-key': 'wrong-key-value-99' },
    });
    await inject({ method: 'GET', url: '/v1/nothing-here?api_key=token-value-c0ffee', headers });

    const [refused, unmatched] = records();
    expect(refused).toEqual(
      expect.objectContaining({
        level: 'warn',
        attributes: { method: 'GET', route: '/v1/items/:itemId', status: 401 },
      }),
    );
    expect(unmatched).toEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'GET /v1/nothing-here 404',
        attributes: {
          method: 'GET',
          route: '(unmatched)',
          path: '/v1/nothing-here',
          status: 404,
          query: { api_key: '[redacted]' },
        },
      }),
    );
    const everything = JSON.stringify([refused, unmatched]) + stdout.join('');
    for (const secret of [...SECRETS, 'wrong-key-value-99'])
      expect(everything).not.toContain(secret);
  });

  it('records an error with class, message and stack, tied to the request', async () => {
    await start();
    const response = await inject({
      method: 'GET',
      url: '/v1/ledger',
      headers: { ...headers, 'x-request-id': 'req-boom' },
    });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('corrupted');

    const all = records();
    const error = all.find((r) => r.kind === 'error');
    expect(error).toEqual({
      eventId: expect.any(String),
      service: 'items',
      kind: 'error',
      level: 'error',
      message: 'ledger 12 is corrupted',
      requestId: 'req-boom',
      attributes: {
        class: 'LedgerCorruptedError',
        status: 500,
        stack: expect.stringMatching(/^LedgerCorruptedError: ledger 12 is corrupted\n\s+at /),
        method: 'GET',
        route: '/v1/ledger',
      },
      occurredAt: expect.any(String),
    });
    expect(logInput.safeParse(error).error).toBeUndefined();
    expect(all.find((r) => r.kind === 'request')).toEqual(
      expect.objectContaining({
        level: 'error',
        requestId: 'req-boom',
        attributes: expect.objectContaining({ status: 500 }),
      }),
    );
    const line = stdout
      .filter((text) => text.startsWith('{'))
      .map((text) => JSON.parse(text))
      .find((l) => l.kind === 'error');
    expect(line).toEqual(
      expect.objectContaining({
        level: 'error',
        app: 'items',
        class: 'LedgerCorruptedError',
        requestId: 'req-boom',
      }),
    );
    expect(line.stack).toContain('LedgerCorruptedError: ledger 12 is corrupted');
  });

  it('summarises successful requests without a client request id, one record per route and status', async () => {
    await start();
    for (let i = 0; i < 3; i++) {
      expect((await inject({ method: 'GET', url: `/v1/items/${i}`, headers })).statusCode).toBe(
        200,
      );
    }
    await inject({
      method: 'GET',
      url: '/v1/items/9',
      headers: { ...headers, 'x-request-id': 'traced-1' },
    });
    await inject({ method: 'GET', url: '/v1/ledger', headers });
    const individual = records().filter((r) => r.kind === 'request');
    // The traced request and the failed one have records of their own; the others are counted.
    expect(individual.map((r) => [r.requestId === 'traced-1', r.attributes?.status])).toEqual([
      [true, 200],
      [false, 500],
    ]);
    // Every request still writes its stdout line at LOG_LEVEL=info.
    const lines = stdout.filter((t) => t.startsWith('{')).map((t) => JSON.parse(t));
    expect(lines.filter((l) => l.kind === 'request')).toHaveLength(5);

    created!.app.get(RequestLogSummary).flush();
    expect(records()).toEqual([
      expect.objectContaining({
        kind: 'request',
        level: 'info',
        message: 'GET /v1/items/:itemId 200 x3',
        attributes: expect.objectContaining({ route: '/v1/items/:itemId', status: 200, count: 3 }),
      }),
    ]);
  });

  it('records every request on its own with LOG_REQUEST_SUMMARY_MS=0', async () => {
    await start({ LOG_REQUEST_SUMMARY_MS: '0' });
    await inject({ method: 'GET', url: '/v1/items/1', headers });
    expect(records()).toEqual([
      expect.objectContaining({ kind: 'request', message: 'GET /v1/items/:itemId 200' }),
    ]);
  });

  it('leaves successful probes and scrapes out, but not failed ones', async () => {
    await start();
    expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect(records()).toEqual([]);
  });

  it('keeps records out of the sink with LOG_SHIP=false, still writing the stdout line', async () => {
    await start({ LOG_SHIP: 'false' });
    expect(created!.app.get(LogSink)).toBeInstanceOf(NullLogSink);
    await inject({ method: 'GET', url: '/v1/items/1', headers });
    expect(stdout.some((text) => text.startsWith('{') && JSON.parse(text).kind === 'request')).toBe(
      true,
    );
  });

  it('rejects a malformed LOG_SHIP or SLOW_QUERY_MS with one line', async () => {
    await expect(start({ LOG_SHIP: 'yes' })).rejects.toThrow(
      'Invalid configuration: LOG_SHIP="yes": expected one of true, false',
    );
    await expect(start({ SLOW_QUERY_MS: '0' })).rejects.toThrow(
      'Invalid configuration: SLOW_QUERY_MS="0"',
    );
  });
});
