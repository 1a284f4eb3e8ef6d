import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  Module,
  Post,
  type DynamicModule,
} from '@nestjs/common';
import type { Env } from '@lib/config';
import { ShutdownCoordinator } from '@lib/lifecycle';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { BODY_LIMIT_BYTES, createHttpApp, type HttpApp } from './create-http-app';
import { PlatformModule } from './platform.module';
import { freePort } from '@test/support';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

@Controller()
class TestController {
  @Get('v1/ping')
  ping() {
    return { ok: true };
  }

  @Get('admin/ping')
  adminPing() {
    return { admin: true };
  }

  @Post('v1/echo')
  @HttpCode(200)
  echo(@Body() body: unknown) {
    return body;
  }

  @Get('v1/boom')
  boom(): never {
    throw new Error('secret detail of a failure at /srv/app/internal.ts');
  }
}

@Module({})
class TestAppModule {
  static register(env: Env): DynamicModule {
    return {
      module: TestAppModule,
      imports: [PlatformModule.forRoot('test', env)],
      controllers: [TestController],
    };
  }
}

describe('createHttpApp', () => {
  let created: HttpApp | undefined;

  async function start(env: Env = {}): Promise<HttpApp> {
    created = await createHttpApp({
      name: 'test',
      defaultPort: 3999,
      env: { LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0', ...env },
      module: (appEnv) => TestAppModule.register(appEnv),
    });
    await created.app.init();
    return created;
  }

  function inject(options: InjectOptions): Promise<LightMyRequestResponse> {
    if (!created) throw new Error('start() the app first');
    return created.app.getHttpAdapter().getInstance().inject(options);
  }

  beforeEach(() => {
    // The filter logs unexpected errors; keep the test output readable.
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterEach(async () => {
    await created?.app.close();
    created = undefined;
    jest.restoreAllMocks();
  });

  describe('options', () => {
    it('uses the default port when PORT is unset or empty, and HOST 127.0.0.1', async () => {
      const app = await start({ PORT: '' });
      expect(app.port).toBe(3999);
      expect(app.host).toBe('127.0.0.1');
      expect(app.name).toBe('test');
    });

    it('rejects a bad variable before building anything', async () => {
      await expect(
        createHttpApp({
          name: 'test',
          defaultPort: 3999,
          env: { PORT: 'abc' },
          module: () => {
            throw new Error('module must not be built');
          },
        }),
      ).rejects.toThrow(
        'Invalid configuration: PORT="abc": expected an integer between 1 and 65535',
      );
    });

    it('listens on the configured port and answers over real HTTP', async () => {
      const app = await start({ PORT: String(await freePort()) });
      const url = await app.listen();
      expect(url).toBe(`http://127.0.0.1:${app.port}`);
      const response = await fetch(`${url}/v1/ping`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ ok: true });
    });
  });

  describe('API keys', () => {
    beforeEach(() => start({ API_KEYS: 'k1,k2', ADMIN_API_KEYS: 'a1' }));

    it('answers 401 in the contract shape without a key', async () => {
      const response = await inject({ method: 'GET', url: '/v1/ping' });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String),
      });
    });

    it('answers 401 with a wrong key', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-api-key': 'k3' },
      });
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.any(String),
      });
    });

    it('rejects a key that is only a prefix of a valid one', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-api-key': 'k' },
      });
      expect(response.statusCode).toBe(401);
    });

    it('accepts every configured key', async () => {
      for (const key of ['k1', 'k2']) {
        const response = await inject({
          method: 'GET',
          url: '/v1/ping',
          headers: { 'x-api-key': key },
        });
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ ok: true });
      }
    });

    it('protects /admin too, with and without a query string', async () => {
      expect((await inject({ method: 'GET', url: '/admin/ping' })).statusCode).toBe(401);
      expect((await inject({ method: 'GET', url: '/v1/ping?x=1' })).statusCode).toBe(401);
      const ok = await inject({
        method: 'GET',
        url: '/admin/ping',
        headers: { 'x-api-key': 'a1' },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ admin: true });
    });

    it('answers 403 to a client key on /admin, and lets the admin key read /v1', async () => {
      const forbidden = await inject({
        method: 'GET',
        url: '/admin/ping',
        headers: { 'x-api-key': 'k1' },
      });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.json()).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: expect.stringContaining('ADMIN_API_KEYS'),
      });
      const read = await inject({ method: 'GET', url: '/v1/ping', headers: { 'x-api-key': 'a1' } });
      expect(read.statusCode).toBe(200);
    });

    it('rejects an unauthenticated POST before its body is parsed', async () => {
      const response = await inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{not json',
      });
      expect(response.statusCode).toBe(401);
    });

    it('never asks for a key on /health/* and /metrics', async () => {
      expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      const metrics = await inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.body).toContain('# TYPE process_cpu_user_seconds_total counter');
    });
  });

  it('needs no key when API_KEYS is unset', async () => {
    await start();
    expect((await inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);
  });

  describe('shutdown', () => {
    it('turns readiness 503 at once and stops /v1 intake after the grace delay', async () => {
      const app = await start({ SHUTDOWN_GRACE_MS: '400' });
      expect((await inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);

      const stopping = app.app.get(ShutdownCoordinator).shutdown('test');

      const ready = await inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toEqual(
        expect.objectContaining({
          status: 'error',
          error: { lifecycle: { status: 'down', message: 'shutting down' } },
        }),
      );
      // During the grace delay load balancers notice readiness; requests are still served.
      expect((await inject({ method: 'GET', url: '/v1/ping' })).statusCode).toBe(200);

      await stopping;
      const refused = await inject({ method: 'GET', url: '/v1/ping' });
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'shutting down',
      });
      expect(refused.headers.connection).toBe('close');
      // Liveness and metrics keep answering until the server closes.
      expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      expect((await inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    });
  });

  describe('x-request-id', () => {
    beforeEach(() => start());

    it('echoes a given id', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-request-id': 'abc-123' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-request-id']).toBe('abc-123');
    });

    it('accepts an id of exactly 100 characters', async () => {
      const id = 'x'.repeat(100);
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-request-id': id },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-request-id']).toBe(id);
    });

    it('generates a UUID when absent, a new one per request', async () => {
      const first = await inject({ method: 'GET', url: '/v1/ping' });
      const second = await inject({ method: 'GET', url: '/health/live' });
      expect(first.headers['x-request-id']).toMatch(UUID);
      expect(second.headers['x-request-id']).toMatch(UUID);
      expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
    });

    it('rejects an id of 101 characters with 400 naming the header', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-request-id': 'x'.repeat(101) },
      });
      expect(response.statusCode).toBe(400);
      const body = response.json();
      expect(body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.any(String),
        details: [{ field: 'x-request-id', problem: expect.any(String) }],
      });
      expect(response.headers['x-request-id']).toMatch(UUID);
    });

    it('rejects an empty id with 400', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/ping',
        headers: { 'x-request-id': '' },
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().details[0].field).toBe('x-request-id');
    });
  });

  describe('errors in the contract shape', () => {
    beforeEach(() => start());

    it('404 for an unknown route', async () => {
      const response = await inject({ method: 'GET', url: '/v1/nope' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: expect.any(String),
      });
    });

    it('500 without internals for a plain Error thrown by a handler', async () => {
      const response = await inject({ method: 'GET', url: '/v1/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Internal server error',
      });
      expect(response.body).not.toContain('secret detail');
      expect(response.body).not.toContain('internal.ts');
      expect(response.body).not.toMatch(/\bat\s/);
      // Logged as an error record (kind, message, stack) instead, see request-logging.spec.ts.
      expect(Logger.prototype.error).toHaveBeenCalledWith(
        expect.objectContaining({
          kind: 'error',
          msg: expect.stringContaining('secret detail'),
          stack: expect.stringContaining('Error: secret detail'),
        }),
      );
    });

    it('accepts a JSON body up to the limit', async () => {
      const response = await inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ text: 'a'.repeat(1000) }),
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ text: 'a'.repeat(1000) });
    });

    it('413 for a body over 1 MiB', async () => {
      const payload = JSON.stringify({ text: 'a'.repeat(BODY_LIMIT_BYTES) });
      const response = await inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(413);
      expect(response.json()).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.any(String),
      });
    });

    it('400 for invalid JSON', async () => {
      const response = await inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"text": ',
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.any(String),
      });
    });

    it.each([
      ['text/plain', 'hello'],
      ['application/x-www-form-urlencoded', 'text=hello'],
    ])('415 for a body of type %s', async (contentType, payload) => {
      const response = await inject({
        method: 'POST',
        url: '/v1/echo',
        headers: { 'content-type': contentType },
        payload,
      });
      expect(response.statusCode).toBe(415);
      expect(response.json()).toEqual({
        statusCode: 415,
        error: 'Unsupported Media Type',
        message: expect.any(String),
      });
    });

    it('keeps the request id on error responses', async () => {
      const response = await inject({
        method: 'GET',
        url: '/v1/nope',
        headers: { 'x-request-id': 'err-1' },
      });
      expect(response.headers['x-request-id']).toBe('err-1');
    });
  });
});
