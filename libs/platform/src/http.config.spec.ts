import { ConfigError, type Env } from '@lib/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpConfig, isLoopbackHost } from './http.config';

function loadError(env: Env): ConfigError {
  try {
    httpConfig.load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['0.0.0.0', '10.0.0.1', '192.168.1.10', '::', 'example.com', '127.example.com'])(
    '%s is not loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});

describe('httpConfig', () => {
  it('defaults HOST to 127.0.0.1 and needs no API_KEYS there', () => {
    expect(httpConfig.load({ PORT: '3000' })).toEqual({ HOST: '127.0.0.1', PORT: 3000 });
  });

  it('treats empty HOST and API_KEYS as unset', () => {
    expect(httpConfig.load({ PORT: '3000', HOST: '', API_KEYS: '' })).toEqual({
      HOST: '127.0.0.1',
      PORT: 3000,
    });
  });

  it.each(['127.0.0.1', '::1', 'localhost'])('accepts HOST=%s without API_KEYS', (host) => {
    expect(httpConfig.load({ PORT: '3000', HOST: host })).toEqual({ HOST: host, PORT: 3000 });
  });

  it.each(['0.0.0.0', '10.0.0.1'])(
    'rejects HOST=%s without API_KEYS in one line naming API_KEYS',
    (host) => {
      const error = loadError({ PORT: '3000', HOST: host });
      expect(error.variable).toBe('API_KEYS');
      expect(error.message).toBe(
        `Invalid configuration: API_KEYS=(unset): required when HOST (${host}) is not a loopback address: set comma-separated keys`,
      );
      expect(error.message).not.toMatch(/[\r\n]/);
    },
  );

  it('accepts a non-loopback HOST with API_KEYS and splits the keys', () => {
    expect(httpConfig.load({ PORT: '3000', HOST: '0.0.0.0', API_KEYS: 'k1, k2' })).toEqual({
      HOST: '0.0.0.0',
      PORT: 3000,
      API_KEYS: ['k1', 'k2'],
    });
  });

  it('reads ADMIN_API_KEYS as a list and does not require it on a non-loopback HOST', () => {
    expect(
      httpConfig.load({ PORT: '3000', HOST: '0.0.0.0', API_KEYS: 'k1', ADMIN_API_KEYS: 'a1, a2' }),
    ).toEqual({ HOST: '0.0.0.0', PORT: 3000, API_KEYS: ['k1'], ADMIN_API_KEYS: ['a1', 'a2'] });
    expect(httpConfig.load({ PORT: '3000', HOST: '0.0.0.0', API_KEYS: 'k1' })).not.toHaveProperty(
      'ADMIN_API_KEYS',
    );
  });

  it('still requires API_KEYS on a non-loopback HOST when only ADMIN_API_KEYS is set', () => {
    expect(loadError({ PORT: '3000', HOST: '0.0.0.0', ADMIN_API_KEYS: 'a1' }).variable).toBe(
      'API_KEYS',
    );
  });

  it('hides ADMIN_API_KEYS in its error and reads it from ADMIN_API_KEYS_FILE', () => {
    const error = loadError({ PORT: '3000', ADMIN_API_KEYS: 'secret-admin,,x' });
    expect(error.variable).toBe('ADMIN_API_KEYS');
    expect(error.message).toContain('ADMIN_API_KEYS=(hidden)');
    expect(error.message).not.toContain('secret-admin');
    const dir = mkdtempSync(join(tmpdir(), 'ep-admin-keys-'));
    try {
      const file = join(dir, 'admin-api-keys');
      writeFileSync(file, 'a1,a2\n');
      expect(httpConfig.load({ PORT: '3000', ADMIN_API_KEYS_FILE: file }).ADMIN_API_KEYS).toEqual([
        'a1',
        'a2',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects API_KEYS with an empty item', () => {
    const error = loadError({ PORT: '3000', HOST: '0.0.0.0', API_KEYS: 'a,,b' });
    expect(error.variable).toBe('API_KEYS');
    expect(error.message).toContain('API_KEYS=(hidden)');
    expect(error.message).not.toContain('a,,b');
    expect(error.message).toContain('no empty items');
  });

  it.each([
    ['abc', /PORT="abc"/],
    ['70000', /PORT="70000"/],
    ['0', /PORT="0"/],
  ])('rejects PORT=%s', (port, pattern) => {
    const error = loadError({ PORT: port });
    expect(error.variable).toBe('PORT');
    expect(error.message).toMatch(pattern);
    expect(error.message).toContain('expected an integer between 1 and 65535');
  });
});
