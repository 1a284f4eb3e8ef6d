import type { LoggerService } from '@nestjs/common';
import { errorChain, tlsRefusalOf } from '@lib/config';
import type { BrokerAccess } from '../broker-access';

/** Kafka's error types for a refused SASL handshake. */
const SASL_ERROR_TYPES = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

/**
 * Why Kafka refused this client, if `error` (or one of its causes) says it did: SASL credentials
 * rejected, the broker's certificate not trusted, or our client certificate refused by the broker
 * (a TLS alert). The reason is built here from codes, never copied from a message, so it holds no
 * secret. Undefined for every other failure (an unreachable broker heals without an operator).
 */
export function accessRejection(error: unknown): string | undefined {
  for (const { name, type } of errorChain(error)) {
    if (
      name === 'KafkaJSSASLAuthenticationError' ||
      (typeof type === 'string' && SASL_ERROR_TYPES.has(type))
    ) {
      return 'Kafka rejected the SASL credentials (KAFKA_SASL_*)';
    }
  }
  const tls = tlsRefusalOf(error);
  if (tls?.kind === 'untrusted-certificate') {
    return `Kafka's TLS certificate is not trusted (${tls.code}; check KAFKA_SSL_CA_FILE)`;
  }
  if (tls?.kind === 'handshake-alert') {
    return `Kafka refused the TLS handshake (${tls.code}; check KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE)`;
  }
  return undefined;
}

/** How often a rejection that lasts is logged again (each client retries more often than that). */
export const ACCESS_LOG_INTERVAL_MS = 10_000;

/**
 * Reports the outcome of the Kafka clients' connections to {@link BrokerAccess} (readiness) and
 * the log: one line when access is refused, one per {@link ACCESS_LOG_INTERVAL_MS} while it lasts
 * (however many clients retry), and one when it is accepted again.
 */
export class KafkaAccessMonitor {
  private lastLoggedAt = 0;
  private lastReason?: string;

  constructor(
    private readonly logger: LoggerService,
    private readonly access?: BrokerAccess,
    private readonly logIntervalMs = ACCESS_LOG_INTERVAL_MS,
  ) {}

  /** Records a failure; returns the rejection's reason when Kafka refused access, else undefined. */
  failed(error: unknown): string | undefined {
    const reason = accessRejection(error);
    if (reason === undefined) return undefined;
    this.access?.rejected(reason);
    const now = Date.now();
    if (reason !== this.lastReason || now - this.lastLoggedAt >= this.logIntervalMs) {
      this.logger.error(`${reason}; the Kafka clients keep retrying`);
      this.lastLoggedAt = now;
    }
    this.lastReason = reason;
    return reason;
  }

  /** Records a successful (authenticated) connection. */
  succeeded(): void {
    if (this.lastReason === undefined) return;
    this.lastReason = undefined;
    this.lastLoggedAt = 0;
    this.access?.accepted();
    this.logger.log?.('Kafka accepted the credentials and certificates again');
  }

  /** True while the last outcome seen was a rejection. */
  isRejected(): boolean {
    return this.lastReason !== undefined;
  }
}
