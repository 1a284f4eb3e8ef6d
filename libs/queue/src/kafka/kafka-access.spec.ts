import {
  KafkaJSConnectionError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSSASLAuthenticationError,
} from 'kafkajs';

// kafkajs' typings declare fewer constructor arguments than its classes take.
const saslError = (message: string) =>
  new (KafkaJSSASLAuthenticationError as unknown as new (m: string) => Error)(message);
const connectionError = (message: string, code: string) =>
  new (
    KafkaJSConnectionError as unknown as new (
      m: string,
      o: { broker: string; code: string },
    ) => Error
  )(message, { broker: '127.0.0.1:9093', code });
import { BrokerAccess } from '../broker-access';
import { BrokerConnectionError } from '../queue.errors';
import { accessRejection, KafkaAccessMonitor } from './kafka-access';

describe('accessRejection', () => {
  it('finds a SASL rejection through the wrapping errors', () => {
    const sasl = saslError('SASL SCRAM SHA512 authentication failed: invalid credentials');
    const wrapped = new BrokerConnectionError('could not create Kafka topics', {
      cause: new KafkaJSNumberOfRetriesExceeded(sasl, { retryCount: 0, retryTime: 0 }),
    });
    expect(accessRejection(wrapped)).toBe('Kafka rejected the SASL credentials (KAFKA_SASL_*)');
  });

  it('takes a SASL_AUTHENTICATION_FAILED answer for a rejection', () => {
    const error = new KafkaJSProtocolError({
      message: 'auth',
      type: 'SASL_AUTHENTICATION_FAILED',
      code: 58,
      retriable: false,
    } as unknown as Error);
    expect(accessRejection(error)).toMatch(/SASL credentials/);
  });

  it.each([
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
  ])('takes TLS code %s for an untrusted broker certificate', (code) => {
    const error = connectionError('Connection error: certificate problem', code);
    expect(accessRejection(error)).toBe(
      `Kafka's TLS certificate is not trusted (${code}; check KAFKA_SSL_CA_FILE)`,
    );
  });

  it('takes a TLS alert from the broker for a refused client certificate', () => {
    const error = connectionError(
      'Connection error: alert',
      'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
    );
    expect(accessRejection(error)).toMatch(
      /refused the TLS handshake \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED/,
    );
  });

  it('leaves an unreachable broker alone', () => {
    expect(
      accessRejection(connectionError('Connection error: connect ECONNREFUSED', 'ECONNREFUSED')),
    ).toBeUndefined();
    expect(accessRejection(new Error('Connection timeout'))).toBeUndefined();
    expect(accessRejection(undefined)).toBeUndefined();
  });
});

describe('KafkaAccessMonitor', () => {
  const sasl = () => saslError('SASL PLAIN authentication failed');

  it('sets and clears BrokerAccess and logs a lasting rejection once per interval', () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const lines: string[] = [];
      const logger = {
        log: (m: string) => lines.push(`log ${m}`),
        error: (m: string) => lines.push(`error ${m}`),
        warn: () => undefined,
      };
      const access = new BrokerAccess();
      const monitor = new KafkaAccessMonitor(logger, access, 10_000);
      for (let i = 0; i < 20; i++) {
        monitor.failed(sasl());
        jest.advanceTimersByTime(1_000);
      }
      expect(access.rejection()).toMatch(/SASL credentials/);
      expect(lines).toHaveLength(2);
      expect(monitor.failed(new Error('ECONNREFUSED'))).toBeUndefined();
      monitor.succeeded();
      expect(access.rejection()).toBeUndefined();
      expect(lines[2]).toMatch(/^log Kafka accepted/);
      monitor.succeeded();
      expect(lines).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });
});
