import Fastify, { type FastifyInstance } from 'fastify';
import { createApiKeyCheck, installApiKeyHook, type ApiKeys } from './api-key.hook';

const CLIENT = ['client-one', 'client-two'];
const ADMIN = ['admin-one', 'admin-two'];

describe('createApiKeyCheck', () => {
  describe('with API_KEYS and ADMIN_API_KEYS', () => {
    const check = createApiKeyCheck({ client: CLIENT, admin: ADMIN });

    it.each(['/admin/dead-letters', '/admin', '/admin?stream=x', '/admin/rebuild?date=2024-01-01'])(
      'lets an admin key through on %s',
      (url) => {
        for (const key of ADMIN) expect(check(url, key)).toBeUndefined();
      },
    );

    it('answers 403 naming the problem to a client key on /admin', () => {
      for (const key of CLIENT) {
        expect(check('/admin/dead-letters', key)).toEqual({
          statusCode: 403,
          error: 'Forbidden',
          message: 'a client key may not call admin routes: use a key from ADMIN_API_KEYS',
        });
      }
    });

    it('answers 401 without a key, and with an unknown, a prefix or an extended key', () => {
      expect(check('/admin/dead-letters', undefined)).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'missing x-api-key header',
      });
      for (const key of [
        'nope',
        'admin-on',
        'admin-one1',
        'ADMIN-ONE',
        '',
        'admin-one,admin-two',
      ]) {
        expect(check('/admin/dead-letters', key)).toEqual({
          statusCode: 401,
          error: 'Unauthorized',
          message: 'invalid API key',
        });
      }
      // A header given twice arrives as an array: never a match.
      expect(check('/admin/dead-letters', ['admin-one', 'admin-one'])?.statusCode).toBe(401);
    });

    it('lets client and admin keys read /v1', () => {
      for (const key of [...CLIENT, ...ADMIN]) expect(check('/v1/page-views', key)).toBeUndefined();
      expect(check('/v1/page-views', undefined)?.statusCode).toBe(401);
      expect(check('/v1/page-views', 'nope')?.statusCode).toBe(401);
    });

    it.each(['/health/ready', '/health/live', '/metrics', '/administrator', '/v10/x'])(
      'asks for no key on %s',
      (url) => {
        expect(check(url, undefined)).toBeUndefined();
      },
    );
  });

  describe('with API_KEYS only', () => {
    const check = createApiKeyCheck({ client: CLIENT });

    it('closes /admin: 403 to every valid key, 401 without one', () => {
      expect(check('/admin/dead-letters', 'client-one')).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: 'admin routes are closed: ADMIN_API_KEYS is not set',
      });
      expect(check('/admin/dead-letters', undefined)?.statusCode).toBe(401);
      expect(check('/admin/dead-letters', 'nope')?.statusCode).toBe(401);
      expect(check('/v1/page-views', 'client-two')).toBeUndefined();
    });
  });

  describe('with ADMIN_API_KEYS only (loopback)', () => {
    const check = createApiKeyCheck({ admin: ADMIN });

    it('guards /admin and leaves /v1 open as without API_KEYS', () => {
      expect(check('/admin/dead-letters', 'admin-two')).toBeUndefined();
      expect(check('/admin/dead-letters', undefined)?.statusCode).toBe(401);
      expect(check('/admin/dead-letters', 'client-one')?.statusCode).toBe(401);
      expect(check('/v1/page-views', undefined)).toBeUndefined();
    });
  });

  it('opens everything with neither list set', () => {
    const check = createApiKeyCheck({});
    expect(check('/admin/dead-letters', undefined)).toBeUndefined();
    expect(check('/v1/page-views', undefined)).toBeUndefined();
  });

  it('does not confuse a key that is in both lists: it counts as an admin key', () => {
    const check = createApiKeyCheck({ client: ['shared'], admin: ['shared'] });
    expect(check('/admin/x', 'shared')).toBeUndefined();
  });
});

describe('installApiKeyHook', () => {
  let fastify: FastifyInstance;

  async function serve(keys: ApiKeys): Promise<FastifyInstance> {
    fastify = Fastify();
    installApiKeyHook(fastify, keys);
    fastify.get('/admin/dead-letters', async () => ({ admin: true }));
    fastify.post('/v1/echo', async (request) => request.body);
    await fastify.ready();
    return fastify;
  }

  afterEach(() => fastify?.close());

  it('answers the check refusal with its status and body', async () => {
    await serve({ client: CLIENT, admin: ADMIN });
    const forbidden = await fastify.inject({
      url: '/admin/dead-letters',
      headers: { 'x-api-key': 'client-one' },
    });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: expect.stringContaining('ADMIN_API_KEYS'),
    });
    expect(forbidden.body).not.toContain('client-one');
    const ok = await fastify.inject({
      url: '/admin/dead-letters',
      headers: { 'x-api-key': 'admin-one' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ admin: true });
  });

  it('refuses before the body is parsed', async () => {
    await serve({ client: CLIENT });
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(response.statusCode).toBe(401);
  });

  it('installs nothing with neither list set', async () => {
    await serve({});
    expect((await fastify.inject({ url: '/admin/dead-letters' })).statusCode).toBe(200);
  });
});
