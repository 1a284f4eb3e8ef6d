/**
 * The log context of HTTP requests in an app built with createHttpApp: lines written by feature
 * code (`new Logger('Feature')`) in a Nest controller or a plain Fastify route carry the request's
 * `requestId` (and the `traceId` of its `traceparent`), also after the body was parsed and after
 * awaits; lines written outside a request carry neither.
 */
import 'reflect-metadata';
import { Body, Controller, Get, Logger, Module, Post, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { freePort } from '@test/support';
import { createHttpApp, type HttpApp } from './create-http-app';
import { PlatformModule } from './platform.module';

const API_KEY = 'log-context-key-1';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

@Controller()
class FeatureController {
  private readonly logger = new Logger('Feature');

  @Get('v1/feature')
  async read() {
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.logger.log('read');
    return { ok: true };
  }

  @Post('v1/feature')
  async write(@Body() body: { n: number }) {
    this.logger.log(`write ${body.n}`);
    await Promise.resolve();
    this.logger.warn('written');
    return { ok: true };
  }
}

@Module({})
class FeatureModule {
  static register(env: Env): DynamicModule {
    return {
      module: FeatureModule,
      imports: [PlatformModule.forRoot('feature-app', env)],
      controllers: [FeatureController],
    };
  }
}

describe('log context of HTTP requests', () => {
  let created: HttpApp;
  let url: string;
  let stdout: string[];

  /** The JSON lines written with the `Feature` context. */
  const featureLines = (): Array<Record<string, unknown>> =>
    stdout
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.context === 'Feature');

  beforeEach(async () => {
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    created = await createHttpApp({
      name: 'feature-app',
      defaultPort: 3997,
      env: {
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
        SHUTDOWN_GRACE_MS: '0',
        API_KEYS: API_KEY,
      },
      module: (env) => FeatureModule.register(env),
    });
    const fastify = created.app.getHttpAdapter().getInstance();
    fastify.post('/v1/plain', async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      new Logger('Feature').log({ msg: 'plain route', size: JSON.stringify(request.body).length });
      return { ok: true };
    });
    url = await created.listen();
  });

  afterEach(async () => {
    await created.app.close();
    jest.restoreAllMocks();
  });

  // Over a real socket: there Fastify reads the body in the socket's callbacks, outside the hooks.
  const inject = (method: 'GET' | 'POST', path: string, headers: Record<string, string>) =>
    fetch(`${url}${path}`, {
      method,
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json', ...headers },
      // Large enough to arrive in several reads, the last one outside any hook.
      body: method === 'POST' ? JSON.stringify({ n: 5, pad: 'x'.repeat(300_000) }) : undefined,
    });

  it("stamps a controller's lines with the request id and the traceparent's trace id", async () => {
    const response = await inject('GET', '/v1/feature', {
      'x-request-id': 'req-get-1',
      traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01`,
    });
    expect(response.status).toBe(200);
    expect(featureLines()).toEqual([
      expect.objectContaining({ msg: 'read', requestId: 'req-get-1', traceId: TRACE_ID }),
    ]);
  });

  it('keeps the context through body parsing into a controller and a plain Fastify route', async () => {
    const [a, b] = await Promise.all([
      inject('POST', '/v1/feature', { 'x-request-id': 'req-post-a' }),
      inject('POST', '/v1/plain', { 'x-request-id': 'req-post-b' }),
    ]);
    expect([a.status, b.status]).toEqual([201, 200]);
    const lines = featureLines();
    expect(lines).toHaveLength(3);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'write 5', requestId: 'req-post-a' }),
        expect.objectContaining({ msg: 'written', requestId: 'req-post-a' }),
        expect.objectContaining({ msg: 'plain route', size: 300_016, requestId: 'req-post-b' }),
      ]),
    );
    for (const line of lines) expect(line).not.toHaveProperty('traceId');
  });

  it('gives a request without x-request-id its generated id, and nothing to lines outside', async () => {
    const response = await inject('GET', '/v1/feature', {});
    new Logger('Feature').log('outside');
    const [inside, outside] = featureLines();
    expect(inside).toEqual(
      expect.objectContaining({ msg: 'read', requestId: response.headers.get('x-request-id') }),
    );
    expect(outside.msg).toBe('outside');
    for (const key of ['requestId', 'traceId', 'eventId', 'firstEventId', 'eventCount'])
      expect(outside).not.toHaveProperty(key);
  });
});
