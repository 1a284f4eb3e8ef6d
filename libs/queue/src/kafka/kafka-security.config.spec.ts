import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConfigError, type ConfigError } from '@lib/config';
import { createTestCertificates, type TestCertificates } from '@test/support';
import { kafkaSecurityOptions } from './kafka-client';
import { kafkaSecurityConfig } from './kafka-security.config';

const PASSWORD = 's3cr3t-Pa55word';

let dir: string;
let certificates: TestCertificates;
let ca: string;
let cert: string;
let key: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kafka-security-spec-'));
  certificates = createTestCertificates('app');
  ca = certificates.caFile;
  cert = certificates.clientCertFile;
  key = certificates.clientKeyFile;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  certificates.remove();
});

function configError(env: Record<string, string>): ConfigError {
  try {
    kafkaSecurityConfig.load(env);
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(Object.keys(env))}`);
}

describe('kafkaSecurityConfig', () => {
  it('defaults to plaintext without authentication', () => {
    const config = kafkaSecurityConfig.load({});
    expect(config.KAFKA_SSL).toBe(false);
    expect(kafkaSecurityOptions(config)).toEqual({});
  });

  it('reads the CA, certificate and key once and hands them to kafkajs with SASL', () => {
    const config = kafkaSecurityConfig.load({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_FILE: ca,
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: key,
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'app',
      KAFKA_SASL_PASSWORD: PASSWORD,
    });
    const options = kafkaSecurityOptions(config);
    expect(options.ssl).toEqual({
      rejectUnauthorized: true,
      ca: [readFileSync(ca)],
      cert: readFileSync(cert),
      key: readFileSync(key),
    });
    expect(options.sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'app',
      password: PASSWORD,
    });
  });

  it.each([
    ['false', false],
    ['FALSE', false],
    ['0', false],
    ['true', true],
    ['1', true],
  ])('KAFKA_SSL_REJECT_UNAUTHORIZED=%s verifies the certificate: %s', (value, expected) => {
    const config = kafkaSecurityConfig.load({
      KAFKA_SSL: 'true',
      KAFKA_SSL_REJECT_UNAUTHORIZED: value,
    });
    expect(kafkaSecurityOptions(config).ssl).toEqual({ rejectUnauthorized: expected });
  });

  it.each([
    [{ KAFKA_SSL: 'yes' }, 'Invalid configuration: KAFKA_SSL="yes": expected true or false'],
    [
      { KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'no' },
      'Invalid configuration: KAFKA_SSL_REJECT_UNAUTHORIZED="no": expected true or false',
    ],
    [
      { KAFKA_SSL_CA_FILE: '<ca>' },
      'Invalid configuration: KAFKA_SSL=(unset): must be true when KAFKA_SSL_CA_FILE is set',
    ],
    [
      { KAFKA_SSL: 'false', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
      'Invalid configuration: KAFKA_SSL="false": must be true when KAFKA_SSL_REJECT_UNAUTHORIZED is set',
    ],
    [
      { KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: '<cert>' },
      'Invalid configuration: KAFKA_SSL_KEY_FILE=(unset): required when KAFKA_SSL_CERT_FILE is set',
    ],
    [
      { KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: '<key>' },
      'Invalid configuration: KAFKA_SSL_CERT_FILE=(unset): required when KAFKA_SSL_KEY_FILE is set',
    ],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: PASSWORD },
      'Invalid configuration: KAFKA_SASL_USERNAME=(unset): required when KAFKA_SASL_MECHANISM is set',
    ],
    [
      { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'app' },
      'Invalid configuration: KAFKA_SASL_PASSWORD=(unset): required when KAFKA_SASL_MECHANISM is set (or KAFKA_SASL_PASSWORD_FILE)',
    ],
    [
      { KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: PASSWORD },
      'Invalid configuration: KAFKA_SASL_MECHANISM=(unset): required when KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD is set (plain, scram-sha-256, scram-sha-512)',
    ],
    [
      { KAFKA_SASL_MECHANISM: 'gssapi', KAFKA_SASL_USERNAME: 'app', KAFKA_SASL_PASSWORD: PASSWORD },
      'Invalid configuration: KAFKA_SASL_MECHANISM="gssapi": expected one of plain, scram-sha-256, scram-sha-512',
    ],
  ])('rejects %j with one line', (env, message) => {
    const resolved = Object.fromEntries(
      Object.entries(env).map(([name, value]) => [
        name,
        value.replace('<ca>', ca).replace('<cert>', cert).replace('<key>', key),
      ]),
    );
    const error = configError(resolved);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain(PASSWORD);
  });

  it('names the variable and path of a missing file', () => {
    const missing = join(dir, 'nope.pem');
    expect(configError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: missing }).message).toBe(
      `Invalid configuration: KAFKA_SSL_CA_FILE=${JSON.stringify(missing)}: cannot read the file (ENOENT)`,
    );
  });

  it('names the variable and path of an unreadable file, never its contents', () => {
    const locked = join(dir, 'locked.key');
    writeFileSync(locked, readFileSync(key));
    chmodSync(locked, 0o000);
    // root reads any file: then the case is a directory, which no one can read as a file.
    const target = process.getuid?.() === 0 ? dir : locked;
    const message = configError({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CERT_FILE: cert,
      KAFKA_SSL_KEY_FILE: target,
    }).message;
    expect(message).toMatch(
      new RegExp(
        `^Invalid configuration: KAFKA_SSL_KEY_FILE=${JSON.stringify(target).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot read the file \\((EACCES|EISDIR)\\)$`,
      ),
    );
    expect(message).not.toContain('PRIVATE KEY');
  });

  it('refuses a file that is not PEM without quoting it', () => {
    const secret = join(dir, 'not-pem.txt');
    writeFileSync(secret, `password=${PASSWORD}\n`);
    const message = configError({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: secret }).message;
    expect(message).toBe(
      `Invalid configuration: KAFKA_SSL_CA_FILE=${JSON.stringify(secret)}: expected a PEM certificate`,
    );
    expect(message).not.toContain(PASSWORD);
  });
});
