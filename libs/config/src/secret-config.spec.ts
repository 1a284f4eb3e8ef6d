import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './config.errors';
import { urlVar } from './env-types';
import { parseConfig, type Env } from './parse-config';
import { displayValue, isSecretVariable, maskUrlPassword } from './secret-values';

const schema = z
  .object({
    KAFKA_SASL_PASSWORD: z
      .string()
      .min(8, { message: 'expected at least 8 characters' })
      .optional(),
    DATABASE_URL: urlVar(['postgres']).optional(),
    PORT: z.coerce.number().int().default(3000),
  })
  .superRefine(() => undefined);

const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
function secretFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function errorOf(env: Env): ConfigError {
  try {
    parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('X_FILE variables', () => {
  it('reads the value of X from the file X_FILE names, trimmed', () => {
    const path = secretFile('password', 's3cret-value\n');
    expect(parseConfig(schema, { KAFKA_SASL_PASSWORD_FILE: path }).KAFKA_SASL_PASSWORD).toBe(
      's3cret-value',
    );
  });

  it('works for any variable of the schema, through refinements', () => {
    const path = secretFile('url', 'postgres://app:pw@db:5432/app');
    expect(parseConfig(schema, { DATABASE_URL_FILE: path }).DATABASE_URL).toBe(
      'postgres://app:pw@db:5432/app',
    );
  });

  it('refuses X and X_FILE together, without showing either', () => {
    const error = errorOf({
      KAFKA_SASL_PASSWORD: 'inline-secret',
      KAFKA_SASL_PASSWORD_FILE: secretFile('p2', 'x'),
    });
    expect(error.message).toBe(
      'Invalid configuration: KAFKA_SASL_PASSWORD=(set): set either KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both',
    );
  });

  it('names the file variable and the path when the file cannot be read', () => {
    const error = errorOf({ KAFKA_SASL_PASSWORD_FILE: join(dir, 'missing') });
    expect(error.variable).toBe('KAFKA_SASL_PASSWORD_FILE');
    expect(error.message).toContain('cannot read the file (ENOENT)');
    expect(error.message).toContain(join(dir, 'missing'));
  });

  it('names the file, never its content, when the value it holds is invalid', () => {
    const path = secretFile('short', 'short');
    const error = errorOf({ KAFKA_SASL_PASSWORD_FILE: path });
    expect(error.message).toBe(
      `Invalid configuration: KAFKA_SASL_PASSWORD=(read from ${JSON.stringify(path)}): expected at least 8 characters`,
    );
  });

  it('ignores X_FILE for names the schema does not declare', () => {
    expect(parseConfig(schema, { OTHER_FILE: join(dir, 'missing') })).toEqual({ PORT: 3000 });
  });
});

describe('secret values in errors', () => {
  it('hides the value of a secret variable', () => {
    const error = errorOf({ KAFKA_SASL_PASSWORD: 'short' });
    expect(error.message).toBe(
      'Invalid configuration: KAFKA_SASL_PASSWORD=(hidden): expected at least 8 characters',
    );
    expect(JSON.stringify(error)).not.toContain('short');
  });

  it("masks a URL's password and keeps the rest", () => {
    const error = errorOf({ DATABASE_URL: 'mysql://app:hunter22@db/app' });
    expect(error.message).toContain('"mysql://app:***@db/app"');
    expect(error.message).not.toContain('hunter22');
  });

  it.each([
    ['KAFKA_SASL_PASSWORD', true],
    ['API_KEYS', true],
    ['ADMIN_API_KEYS', true],
    ['KAFKA_SSL_KEY_FILE', false],
    ['KAFKA_SASL_PASSWORD_FILE', false],
    ['KAFKA_SASL_USERNAME', false],
    ['PORT', false],
  ])('%s is secret: %s', (name, secret) => {
    expect(isSecretVariable(name)).toBe(secret);
  });

  it('shows ordinary values and (unset)', () => {
    expect(displayValue('PORT', 'x')).toBe('"x"');
    expect(displayValue('PORT', undefined)).toBe('(unset)');
    expect(maskUrlPassword('amqp://guest@host')).toBe('amqp://guest@host');
  });
});
