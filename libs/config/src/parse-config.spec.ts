import { z } from 'zod';
import { ConfigError, isConfigError } from './config.errors';
import { defineConfig, validateConfigs } from './define-config';
import { enumVar, intVar, listVar, portVar, urlVar } from './env-types';
import { parseConfig, type Env } from './parse-config';
import { isSecretVariable } from './secret-values';

const schema = z.object({
  PORT: portVar().default(3000),
  LOG_LEVEL: enumVar(['debug', 'info', 'warn', 'error'] as const).default('info'),
  DATABASE_URL: urlVar(['postgres', 'postgresql']).optional(),
  API_KEYS: listVar('API keys').optional(),
  FLUSH_INTERVAL_MS: intVar(1, 60_000, ' ms').default(100),
});

/** The ConfigError that parsing `env` throws (fails the test when it does not throw one). */
function configErrorOf(env: Env): ConfigError {
  try {
    parseConfig(schema, env);
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('parseConfig', () => {
  it('applies the defaults when nothing is set', () => {
    expect(parseConfig(schema, {})).toEqual({
      PORT: 3000,
      LOG_LEVEL: 'info',
      FLUSH_INTERVAL_MS: 100,
    });
  });

  it('coerces and trims the values that are set', () => {
    const config = parseConfig(schema, {
      PORT: ' 8080 ',
      LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://u@db:5432/app',
      API_KEYS: ' k1 , k2 ',
    });
    expect(config).toEqual({
      PORT: 8080,
      LOG_LEVEL: 'debug',
      DATABASE_URL: 'postgres://u@db:5432/app',
      API_KEYS: ['k1', 'k2'],
      FLUSH_INTERVAL_MS: 100,
    });
  });

  it('treats empty and blank strings as unset, so the defaults apply', () => {
    const config = parseConfig(schema, {
      PORT: '',
      LOG_LEVEL: '   ',
      DATABASE_URL: '',
      API_KEYS: '',
    });
    expect(config).toEqual({ PORT: 3000, LOG_LEVEL: 'info', FLUSH_INTERVAL_MS: 100 });
  });

  it('ignores variables the schema does not know', () => {
    expect(parseConfig(schema, { PATH: '/usr/bin', PORT: '1' })).toEqual(
      expect.objectContaining({ PORT: 1 }),
    );
  });

  describe.each([
    {
      name: 'a port that is not a number',
      env: { PORT: 'abc' },
      variable: 'PORT',
      value: 'abc',
      expected: /integer between 1 and 65535/,
    },
    {
      name: 'a port out of range',
      env: { PORT: '70000' },
      variable: 'PORT',
      value: '70000',
      expected: /integer between 1 and 65535/,
    },
    {
      name: 'a fractional port',
      env: { PORT: '80.5' },
      variable: 'PORT',
      value: '80.5',
      expected: /integer/,
    },
    {
      name: 'an unknown enum value',
      env: { LOG_LEVEL: 'loud' },
      variable: 'LOG_LEVEL',
      value: 'loud',
      expected: /one of debug, info, warn, error/,
    },
    {
      name: 'a URL with the wrong scheme',
      env: { DATABASE_URL: 'mysql://x' },
      variable: 'DATABASE_URL',
      value: 'mysql://x',
      expected: /postgres:\/\//,
    },
    {
      name: 'something that is not a URL',
      env: { DATABASE_URL: 'not a url' },
      variable: 'DATABASE_URL',
      value: 'not a url',
      expected: /postgres:\/\//,
    },
    {
      name: 'a list with an empty item',
      env: { API_KEYS: 'a,,b' },
      variable: 'API_KEYS',
      value: 'a,,b',
      expected: /no empty items/,
    },
    {
      name: 'a list with a trailing comma',
      env: { API_KEYS: 'a,' },
      variable: 'API_KEYS',
      value: 'a,',
      expected: /no empty items/,
    },
    {
      name: 'an interval below its minimum',
      env: { FLUSH_INTERVAL_MS: '0' },
      variable: 'FLUSH_INTERVAL_MS',
      value: '0',
      expected: /between 1 and 60000 ms/,
    },
  ])('rejects $name', ({ env, variable, value, expected }) => {
    it('with a ConfigError naming the variable, the value and what is expected', () => {
      const error = configErrorOf(env);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.name).toBe('ConfigError');
      expect(error.variable).toBe(variable);
      expect(error.expected).toMatch(expected);
      expect(error.message).toContain(variable);
      expect(error.message).toContain(
        isSecretVariable(variable) ? '(hidden)' : JSON.stringify(value),
      );
      expect(error.message).toMatch(expected);
    });

    it('in a message of exactly one line', () => {
      expect(configErrorOf(env).message).not.toMatch(/[\r\n]/);
    });
  });

  it('says (unset) for a required variable that is missing', () => {
    const error = (() => {
      try {
        parseConfig(z.object({ PORT: portVar() }), {});
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(isConfigError(error)).toBe(true);
    expect(error.message).toBe(
      'Invalid configuration: PORT=(unset): expected an integer between 1 and 65535',
    );
  });

  it('keeps a value with a line break on one line', () => {
    const error = configErrorOf({ LOG_LEVEL: 'info\nwarn' });
    expect(error.variable).toBe('LOG_LEVEL');
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain('"info\\nwarn"');
  });
});

describe('defineConfig', () => {
  const portConfig = defineConfig('port', z.object({ PORT: portVar().default(3000) }));
  const levelConfig = defineConfig(
    'level',
    z.object({ LOG_LEVEL: enumVar(['info', 'debug'] as const).default('info') }),
  );

  it('loads typed values and exposes a provider that reads the ENV token', () => {
    expect(portConfig.load({ PORT: '81' })).toEqual({ PORT: 81 });
    expect(typeof portConfig.token).toBe('symbol');
    expect(portConfig.provider.provide).toBe(portConfig.token);
    expect(portConfig.provider.useFactory({ PORT: '82' })).toEqual({ PORT: 82 });
  });

  it('validateConfigs stops at the first bad variable of any definition', () => {
    expect(() => validateConfigs({ PORT: '1' }, [portConfig, levelConfig])).not.toThrow();
    expect(() =>
      validateConfigs({ PORT: '1', LOG_LEVEL: 'loud' }, [portConfig, levelConfig]),
    ).toThrow('Invalid configuration: LOG_LEVEL="loud": expected one of info, debug');
  });
});
