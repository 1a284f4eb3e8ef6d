/**
 * Admin credentials over real HTTP: `/admin/*` takes only keys from ADMIN_API_KEYS, a client key
 * from API_KEYS is refused with 403, and an admin key may also read `/v1/*`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpApp } from '@lib/platform';
import { MemoryBroker } from '@lib/queue';
import { createThrowawayDatabase, dropDatabase, freeTcpPort } from '@test/support';
import { createPvCounterApp } from '../src/pv-counter.app';

const CLIENT_KEY = 'client-key-1';
const ADMIN_KEY = 'admin-key-1';
const DEAD_LETTERS = '/admin/dead-letters?stream=page-views';

async function get(
  url: string,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: key === undefined ? {} : { 'x-api-key': key } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('pv-counter admin keys', () => {
  const started: Array<{ created: HttpApp; dir: string }> = [];
  let databaseUrl: string;

  beforeAll(async () => {
    databaseUrl = await createThrowawayDatabase('admin_keys');
  });

  /** Starts pv-counter on the in-memory broker (it consumes page-views, so that stream has dead letters). */
  async function start(env: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ep-pv-admin-'));
    const created = await createPvCounterApp(
      {
        BROKER: 'memory',
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_SIZE: '2',
        DATA_DIR: dir,
        PORT: String(await freeTcpPort()),
        LOG_LEVEL: 'error',
        SHUTDOWN_GRACE_MS: '0',
        ...env,
      },
      { memoryBroker: new MemoryBroker() },
    );
    started.push({ created, dir });
    return created.listen();
  }

  afterAll(async () => {
    for (const { created, dir } of started) {
      await created.app.close();
      await rm(dir, { recursive: true, force: true });
    }
    if (databaseUrl) await dropDatabase(databaseUrl);
  });

  describe('with API_KEYS and ADMIN_API_KEYS', () => {
    let url: string;
    beforeAll(async () => {
      url = await start({ API_KEYS: `${CLIENT_KEY},client-key-2`, ADMIN_API_KEYS: ADMIN_KEY });
    });

    it('answers 200 to an admin key on /admin/dead-letters', async () => {
      const answer = await get(`${url}${DEAD_LETTERS}`, ADMIN_KEY);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ items: [], nextCursor: null });
    });

    it('answers 403 in the error body format to a client key', async () => {
      const answer = await get(`${url}${DEAD_LETTERS}`, CLIENT_KEY);
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'a client key may not call admin routes: use a key from ADMIN_API_KEYS',
      });
    });

    it('answers 401 without a key and with an unknown one', async () => {
      expect((await get(`${url}${DEAD_LETTERS}`)).status).toBe(401);
      expect((await get(`${url}${DEAD_LETTERS}`, 'admin-key-')).status).toBe(401);
    });

    it('lets the admin key through on /v1 too', async () => {
      const path = '/v1/page-views?date=2024-01-01&limit=3';
      expect((await get(`${url}${path}`)).status).toBe(401);
      expect((await get(`${url}${path}`, ADMIN_KEY)).status).toBe(200);
      expect((await get(`${url}${path}`, CLIENT_KEY)).status).toBe(200);
    });
  });

  describe('with API_KEYS only', () => {
    it('closes /admin: 403 to a client key, naming the missing variable', async () => {
      const url = await start({ API_KEYS: CLIENT_KEY });
      const answer = await get(`${url}${DEAD_LETTERS}`, CLIENT_KEY);
      expect(answer.status).toBe(403);
      expect(answer.body.message).toBe('admin routes are closed: ADMIN_API_KEYS is not set');
    });
  });
});
