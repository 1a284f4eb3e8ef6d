import { isConfigError } from '@lib/config';
import { createTestCertificates, type TestCertificates } from '@test/support';
import { rabbitmqTlsConfig } from './rmq-tls.config';

const AMQPS = 'amqps://app:s3cret-pw@rabbit.example:5671/events';
const AMQP = 'amqp://app:s3cret-pw@rabbit.example:5672/events';

/** The one-line start-up message of loading `env`, or a failure when it loads. */
function startupError(env: Record<string, string>): string {
  try {
    rabbitmqTlsConfig.load(env);
  } catch (error) {
    expect(isConfigError(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).not.toContain('s3cret-pw');
    expect(message.split('\n')).toHaveLength(1);
    return message;
  }
  throw new Error('the configuration loaded');
}

describe('RabbitMQ TLS settings', () => {
  let certificates: TestCertificates;

  beforeAll(() => {
    certificates = createTestCertificates('event-pipeline');
  });

  afterAll(() => certificates.remove());

  it('are off with an amqp:// URL, and verify by default with amqps://', () => {
    expect(rabbitmqTlsConfig.load({})).toEqual({ tls: undefined });
    expect(rabbitmqTlsConfig.load({ RABBITMQ_URL: AMQP })).toEqual({ tls: undefined });
    expect(rabbitmqTlsConfig.load({ RABBITMQ_URL: AMQPS })).toEqual({
      tls: { rejectUnauthorized: true },
    });
  });

  it('become amqplib socket options: CA, client certificate, verification and server name', () => {
    const { tls } = rabbitmqTlsConfig.load({
      RABBITMQ_URL: AMQPS,
      RABBITMQ_SSL_CA_FILE: certificates.caFile,
      RABBITMQ_SSL_CERT_FILE: certificates.clientCertFile,
      RABBITMQ_SSL_KEY_FILE: certificates.clientKeyFile,
      RABBITMQ_SSL_REJECT_UNAUTHORIZED: 'false',
      RABBITMQ_SSL_SERVERNAME: 'rabbit.internal',
    });
    expect(tls).toEqual({
      ca: expect.any(Buffer),
      cert: expect.any(Buffer),
      key: expect.any(Buffer),
      rejectUnauthorized: false,
      servername: 'rabbit.internal',
    });
    expect(tls!.ca!.toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('reject TLS settings with an amqp:// URL, naming the setting and not the URL', () => {
    expect(startupError({ RABBITMQ_URL: AMQP, RABBITMQ_SSL_CA_FILE: certificates.caFile })).toBe(
      `Invalid configuration: RABBITMQ_SSL_CA_FILE="${certificates.caFile}": needs an amqps:// RABBITMQ_URL (TLS is off with amqp://)`,
    );
    expect(startupError({ RABBITMQ_SSL_REJECT_UNAUTHORIZED: 'false' })).toMatch(
      /^Invalid configuration: RABBITMQ_SSL_REJECT_UNAUTHORIZED="false": needs an amqps:\/\/ RABBITMQ_URL/,
    );
    expect(startupError({ RABBITMQ_URL: AMQP, RABBITMQ_SSL_SERVERNAME: 'x' })).toMatch(
      /^Invalid configuration: RABBITMQ_SSL_SERVERNAME="x": needs an amqps:\/\//,
    );
  });

  it('reject a certificate without its key, and a key without its certificate', () => {
    expect(
      startupError({ RABBITMQ_URL: AMQPS, RABBITMQ_SSL_CERT_FILE: certificates.clientCertFile }),
    ).toBe(
      'Invalid configuration: RABBITMQ_SSL_KEY_FILE=(unset): required with RABBITMQ_SSL_CERT_FILE',
    );
    expect(
      startupError({ RABBITMQ_URL: AMQPS, RABBITMQ_SSL_KEY_FILE: certificates.clientKeyFile }),
    ).toBe(
      'Invalid configuration: RABBITMQ_SSL_CERT_FILE=(unset): required with RABBITMQ_SSL_KEY_FILE',
    );
  });

  it('reject unreadable, malformed and mismatched files without quoting their content', () => {
    expect(startupError({ RABBITMQ_URL: AMQPS, RABBITMQ_SSL_CA_FILE: '/nonexistent/ca.pem' })).toBe(
      'Invalid configuration: RABBITMQ_SSL_CA_FILE="/nonexistent/ca.pem": cannot read the file (ENOENT)',
    );
    expect(
      startupError({ RABBITMQ_URL: AMQPS, RABBITMQ_SSL_CA_FILE: certificates.clientKeyFile }),
    ).toMatch(
      /^Invalid configuration: RABBITMQ_SSL_CA_FILE=".*client\.key": expected a PEM certificate$/,
    );
    const mismatched = startupError({
      RABBITMQ_URL: AMQPS,
      RABBITMQ_SSL_CERT_FILE: certificates.clientCertFile,
      RABBITMQ_SSL_KEY_FILE: certificates.serverKeyFile,
    });
    expect(mismatched).toMatch(
      /^Invalid configuration: RABBITMQ_SSL_KEY_FILE=".*server\.key": expected an unencrypted PEM private key matching RABBITMQ_SSL_CERT_FILE$/,
    );
    expect(mismatched).not.toContain('PRIVATE KEY');
    expect(startupError({ RABBITMQ_URL: AMQPS, RABBITMQ_SSL_REJECT_UNAUTHORIZED: 'no' })).toBe(
      'Invalid configuration: RABBITMQ_SSL_REJECT_UNAUTHORIZED="no": expected true or false',
    );
  });
});
