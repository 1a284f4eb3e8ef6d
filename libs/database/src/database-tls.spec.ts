import { isConfigError } from '@lib/config';
import { createTestCertificates, type TestCertificates } from '@test/support';
import { databaseConfig } from './database.config';
import { resolveDatabaseTls } from './database-tls';

const URL_WITH_PASSWORD = 'postgres://app:s3cret-pw@db.example:5432/events';

/** The one-line start-up message of loading `env`, or a failure when it loads. */
function startupError(env: Record<string, string>): string {
  try {
    databaseConfig.load(env);
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('the configuration loaded');
}

describe('database TLS settings', () => {
  let certificates: TestCertificates;

  beforeAll(() => {
    certificates = createTestCertificates();
  });

  afterAll(() => certificates.remove());

  it('default to no TLS, explicitly, with the URL unchanged', () => {
    expect(resolveDatabaseTls({ DATABASE_URL: URL_WITH_PASSWORD })).toEqual({
      url: 'postgres://app:s3cret-pw@db.example:5432/events',
      mode: 'disable',
      ssl: false,
    });
    expect(resolveDatabaseTls({})).toEqual({ url: undefined, mode: 'disable', ssl: false });
  });

  it('require encrypts without verifying; with a CA it checks the chain but not the host name', () => {
    expect(
      resolveDatabaseTls({ DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_MODE: 'require' }).ssl,
    ).toEqual({
      rejectUnauthorized: false,
    });
    const withCa = resolveDatabaseTls({
      DATABASE_URL: URL_WITH_PASSWORD,
      DATABASE_SSL_MODE: 'require',
      DATABASE_SSL_CA_FILE: certificates.caFile,
    }).ssl as { rejectUnauthorized: boolean; ca: Buffer; checkServerIdentity: () => unknown };
    expect(withCa.rejectUnauthorized).toBe(true);
    expect(withCa.ca.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(withCa.checkServerIdentity()).toBeUndefined();
  });

  it('verify-full verifies CA and host name, with a client certificate when given', () => {
    const target = resolveDatabaseTls({
      DATABASE_URL: URL_WITH_PASSWORD,
      DATABASE_SSL_MODE: 'verify-full',
      DATABASE_SSL_CA_FILE: certificates.caFile,
      DATABASE_SSL_CERT_FILE: certificates.clientCertFile,
      DATABASE_SSL_KEY_FILE: certificates.clientKeyFile,
    });
    expect(target.mode).toBe('verify-full');
    expect(target.ssl).toEqual({
      rejectUnauthorized: true,
      ca: expect.any(Buffer),
      cert: expect.any(Buffer),
      key: expect.any(Buffer),
    });
    expect(target.ssl && 'checkServerIdentity' in target.ssl).toBe(false);
    // Without a CA file Node's bundled public CAs decide (managed services signed by a public CA).
    expect(
      resolveDatabaseTls({ DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_MODE: 'verify-full' }).ssl,
    ).toEqual({
      rejectUnauthorized: true,
    });
  });

  it("take libpq's sslmode and sslrootcert from the URL and keep them out of the URL pg sees", () => {
    const target = resolveDatabaseTls({
      DATABASE_URL: `${URL_WITH_PASSWORD}?sslmode=verify-full&sslrootcert=${encodeURIComponent(certificates.caFile)}&application_name=x`,
    });
    expect(target.mode).toBe('verify-full');
    expect(target.url).toBe('postgres://app:s3cret-pw@db.example:5432/events?application_name=x');
    expect(target.ssl).toEqual({ rejectUnauthorized: true, ca: expect.any(Buffer) });
    // The same value twice is no contradiction.
    expect(
      resolveDatabaseTls({
        DATABASE_URL: `${URL_WITH_PASSWORD}?sslmode=require`,
        DATABASE_SSL_MODE: 'require',
      }).mode,
    ).toBe('require');
  });

  it('reject a mode that contradicts the URL with one line and no password', () => {
    const message = startupError({
      DATABASE_URL: `${URL_WITH_PASSWORD}?sslmode=require`,
      DATABASE_SSL_MODE: 'verify-full',
    });
    expect(message).toBe(
      'Invalid configuration: DATABASE_SSL_MODE="verify-full": contradicts sslmode=require in DATABASE_URL; set only one of them',
    );
  });

  it('reject sslmodes other than the three, and ssl=, without quoting the password', () => {
    const prefer = startupError({ DATABASE_URL: `${URL_WITH_PASSWORD}?sslmode=prefer` });
    expect(prefer).toBe(
      'Invalid configuration: DATABASE_URL="postgres://app:***@db.example:5432/events?sslmode=prefer": expected sslmode=disable, require or verify-full',
    );
    const ssl = startupError({ DATABASE_URL: `${URL_WITH_PASSWORD}?ssl=true` });
    expect(ssl).toMatch(/^Invalid configuration: DATABASE_URL=".*app:\*\*\*@.*": use sslmode=/);
    for (const line of [prefer, ssl]) expect(line).not.toContain('s3cret-pw');
    expect(
      startupError({ DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_MODE: 'verify-ca' }),
    ).toMatch(
      /^Invalid configuration: DATABASE_SSL_MODE="verify-ca": expected one of disable, require, verify-full$/,
    );
  });

  it('reject certificate files while TLS is off, and TLS with the embedded database', () => {
    expect(
      startupError({ DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_CA_FILE: certificates.caFile }),
    ).toBe(
      `Invalid configuration: DATABASE_SSL_CA_FILE="${certificates.caFile}": TLS is off: set DATABASE_SSL_MODE=verify-full or require`,
    );
    expect(
      startupError({
        DATABASE_URL: URL_WITH_PASSWORD,
        DATABASE_SSL_MODE: 'disable',
        DATABASE_SSL_CERT_FILE: certificates.clientCertFile,
      }),
    ).toMatch(/^Invalid configuration: DATABASE_SSL_CERT_FILE=".*": TLS is off/);
    expect(startupError({ DATABASE_SSL_MODE: 'require' })).toBe(
      'Invalid configuration: DATABASE_SSL_MODE="require": needs DATABASE_URL: the embedded database has no TLS',
    );
  });

  it('reject a certificate without its key, and a key without its certificate', () => {
    const base = { DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_MODE: 'verify-full' };
    expect(startupError({ ...base, DATABASE_SSL_CERT_FILE: certificates.clientCertFile })).toBe(
      'Invalid configuration: DATABASE_SSL_KEY_FILE=(unset): required with DATABASE_SSL_CERT_FILE',
    );
    expect(startupError({ ...base, DATABASE_SSL_KEY_FILE: certificates.clientKeyFile })).toBe(
      'Invalid configuration: DATABASE_SSL_CERT_FILE=(unset): required with DATABASE_SSL_KEY_FILE',
    );
  });

  it('reject unreadable and malformed files naming the variable, never quoting their content', () => {
    const base = { DATABASE_URL: URL_WITH_PASSWORD, DATABASE_SSL_MODE: 'verify-full' };
    expect(startupError({ ...base, DATABASE_SSL_CA_FILE: '/nonexistent/ca.pem' })).toBe(
      'Invalid configuration: DATABASE_SSL_CA_FILE="/nonexistent/ca.pem": cannot read the file (ENOENT)',
    );
    expect(startupError({ ...base, DATABASE_SSL_CA_FILE: certificates.clientKeyFile })).toMatch(
      /^Invalid configuration: DATABASE_SSL_CA_FILE=".*client\.key": expected a PEM certificate$/,
    );
    const mismatched = startupError({
      ...base,
      DATABASE_SSL_CERT_FILE: certificates.clientCertFile,
      DATABASE_SSL_KEY_FILE: certificates.serverKeyFile,
    });
    expect(mismatched).toMatch(
      /^Invalid configuration: DATABASE_SSL_KEY_FILE=".*server\.key": expected an unencrypted PEM private key matching DATABASE_SSL_CERT_FILE$/,
    );
    expect(mismatched).not.toContain('PRIVATE KEY');
  });
});
