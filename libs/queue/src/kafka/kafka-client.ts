import type { LoggerService } from '@nestjs/common';
import {
  Kafka,
  logLevel,
  type AdminConfig,
  type ConsumerConfig,
  type ISocketFactory,
  type KafkaConfig,
  type LogEntry,
  type ProducerConfig,
  type SASLOptions,
} from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import { accessRejection, type KafkaAccessMonitor } from './kafka-access';
import type { KafkaSecurity } from './kafka-security.config';
import { assertKafkajsPatched } from './kafkajs-patch';
import { RepeatThrottle } from './repeat-throttle';

/** How often the same transient kafkajs line (a refused connection during an outage) is logged. */
const TRANSIENT_LOG_INTERVAL_MS = 10_000;

/** kafkajs' lines of a consumer that crashed on a lost connection and restarts by itself. */
const RESTARTING_CONSUMER = /^Consumer: (Restarting the consumer in |Crash: .*Connection error)/;

/** Options of {@link createKafkaClient}. */
export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: LoggerService;
  /** TLS and SASL settings (default: plaintext, no authentication). */
  readonly security?: KafkaSecurity;
  /** Told of every connect's outcome; without one, rejections are only thrown. */
  readonly monitor?: KafkaAccessMonitor;
  /** How sockets are opened (tests route every broker connection through a TcpProxy). */
  readonly socketFactory?: ISocketFactory;
}

/** kafkajs' `ssl` and `sasl` options from the validated settings (certificates already read). */
export function kafkaSecurityOptions(
  security: KafkaSecurity | undefined,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (!security) return {};
  let ssl: ConnectionOptions | undefined;
  if (security.KAFKA_SSL) {
    ssl = { rejectUnauthorized: security.KAFKA_SSL_REJECT_UNAUTHORIZED ?? true };
    if (security.KAFKA_SSL_CA_FILE) ssl.ca = [security.KAFKA_SSL_CA_FILE];
    if (security.KAFKA_SSL_CERT_FILE) ssl.cert = security.KAFKA_SSL_CERT_FILE;
    if (security.KAFKA_SSL_KEY_FILE) ssl.key = security.KAFKA_SSL_KEY_FILE;
  }
  let sasl: SASLOptions | undefined;
  if (security.KAFKA_SASL_MECHANISM) {
    sasl = {
      mechanism: security.KAFKA_SASL_MECHANISM,
      username: security.KAFKA_SASL_USERNAME ?? '',
      password: security.KAFKA_SASL_PASSWORD ?? '',
    } as SASLOptions;
  }
  return { ...(ssl ? { ssl } : {}), ...(sasl ? { sasl } : {}) };
}

/** kafkajs' own lines about a refused handshake: the monitor logs those once per interval instead. */
const ACCESS_LOG_TEXT =
  /SASL|authenticat|certificate|self[- ]signed|unable to verify|altnames|Hostname\/IP|alert/i;

/**
 * A kafkajs client whose logs go to a Nest logger at warn and above (kafkajs is chatty at info),
 * with short connection and request timeouts so an unreachable broker is noticed in seconds.
 * Its producers, consumers and admin clients tell the monitor whether each connect was accepted.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  assertKafkajsPatched();
  const { logger, monitor } = options;
  const throttle = new RepeatThrottle(TRANSIENT_LOG_INTERVAL_MS);
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    socketFactory: options.socketFactory,
    ...kafkaSecurityOptions(options.security),
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, error } = entry.log as { message: string; error?: string };
      // The publisher bounds the idempotent producer's retries on purpose and replaces the
      // producer after a failure, which keeps the guarantee this warning is about.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // kafkajs logs every error response at error level, also those it retries (NOT_LEADER after
      // a topic was created, a coordinator still loading); what it gives up on reaches the caller.
      if (entry.namespace === 'Connection' && message.startsWith('Response ')) return;
      // Each retry of a refused handshake would log several lines (connection, broker pool,
      // consumer crash and restart); the monitor reports the rejection once per interval.
      if (
        ACCESS_LOG_TEXT.test(`${message} ${error ?? ''}`) ||
        accessRejection(entry.log) !== undefined
      )
        return;
      const text = `${entry.namespace}: ${message}${error && !message.includes(error) ? ` (${error})` : ''}`;
      // Connection errors are retried too: a warning per interval, the caller sees the final failure.
      const transient =
        entry.namespace === 'Connection' ||
        entry.namespace === 'BrokerPool' ||
        // A consumer that lost its broker crashes and restarts itself every few seconds.
        RESTARTING_CONSUMER.test(text);
      if (entry.level === logLevel.ERROR && !transient) return logger.error(text);
      if (entry.level > logLevel.WARN) return;
      // Delays in the text ("in 786ms") differ from one repeat to the next.
      const line = transient ? throttle.pass(text, text.replace(/[\d.]+ms/g, 'ms')) : text;
      if (line !== undefined) logger.warn?.(line);
    },
  };
  return monitor ? new MonitoredKafka(config, monitor) : new Kafka(config);
}

/** Anything with a `connect()`: producers, consumers and admin clients. */
interface Connectable {
  connect(): Promise<void>;
}

/** Reports each connect's outcome to the monitor. */
function watchConnect<T extends Connectable>(client: T, monitor: KafkaAccessMonitor): T {
  const connect = client.connect.bind(client);
  client.connect = async () => {
    try {
      await connect();
    } catch (error) {
      monitor.failed(error);
      throw error;
    }
    monitor.succeeded();
  };
  return client;
}

/** A Kafka client whose producers, consumers and admin clients report to a monitor. */
class MonitoredKafka extends Kafka {
  constructor(
    config: KafkaConfig,
    private readonly monitor: KafkaAccessMonitor,
  ) {
    super(config);
  }

  override producer(config?: ProducerConfig) {
    return watchConnect(super.producer(config), this.monitor);
  }

  override consumer(config: ConsumerConfig) {
    return watchConnect(super.consumer(config), this.monitor);
  }

  override admin(config?: AdminConfig) {
    return watchConnect(super.admin(config), this.monitor);
  }
}
