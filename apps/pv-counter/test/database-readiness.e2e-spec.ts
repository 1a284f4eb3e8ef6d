/**
 * pv-counter's database dependency as operators see it: `/health/ready` follows the database
 * (503 while it is unreachable, 200 again once it is back), and closing the app closes the pool.
 */
import type { HttpApp } from '@lib/platform';
import { createThrowawayDatabase, TcpProxy, waitFor } from '@test/support';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createPvCounterApp } from '../src/pv-counter.app';

/** Open sessions of the app (application_name event-pipeline) on the database of `url`. */
async function appSessions(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ count: string }>(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'event-pipeline'",
    );
    return Number(rows[0].count);
  } finally {
    await client.end();
  }
}

describe('pv-counter database readiness', () => {
  let databaseUrl: string;
  let proxy: TcpProxy;
  let dataDir: string;
  let created: HttpApp | undefined;

  const inject = (options: InjectOptions): Promise<LightMyRequestResponse> =>
    created!.app.getHttpAdapter().getInstance().inject(options);

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase('pv_counter_readiness');
    const target = new URL(databaseUrl);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    dataDir = await mkdtemp(join(tmpdir(), 'ep-pv-counter-'));
  });

  afterEach(async () => {
    proxy.restore();
    await created?.app.close();
    created = undefined;
  });

  afterAll(async () => {
    await proxy.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<HttpApp> {
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    created = await createPvCounterApp({
      DATABASE_URL: viaProxy.toString(),
      DATA_DIR: dataDir,
      DATABASE_POOL_SIZE: '2',
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
      PORT: '3999',
    });
    await created.app.init();
    return created;
  }

  it('reports ready with the database up, 503 while it is unreachable, and ready again after', async () => {
    await start();

    const up = await inject({ method: 'GET', url: '/health/ready' });
    expect(up.statusCode).toBe(200);
    expect(up.json()).toEqual(
      expect.objectContaining({
        status: 'ok',
        info: expect.objectContaining({ database: { status: 'up' } }),
      }),
    );

    proxy.cut();
    const down = await inject({ method: 'GET', url: '/health/ready' });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual(
      expect.objectContaining({
        status: 'error',
        error: { database: { status: 'down', message: expect.any(String) } },
      }),
    );
    // Liveness does not depend on the database.
    expect((await inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);

    proxy.restore();
    await waitFor(
      async () => (await inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
      {
        timeoutMs: 10_000,
        description: 'readiness after the database came back',
      },
    );
  });

  it('closes its database connections when the app closes', async () => {
    await start();
    await inject({ method: 'GET', url: '/health/ready' });
    expect(await appSessions(databaseUrl)).toBeGreaterThan(0);

    await created!.app.close();
    created = undefined;

    await waitFor(async () => (await appSessions(databaseUrl)) === 0, {
      timeoutMs: 5_000,
      description: 'no pv-counter sessions left',
    });
  });
});
