import type { LoggerService } from '@nestjs/common';
import { Kafka, logLevel, type ISocketFactory, type LogEntry } from 'kafkajs';

/** Options of {@link createKafkaClient}. */
export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger: LoggerService;
  /** How sockets are opened (tests route every broker connection through a TcpProxy). */
  readonly socketFactory?: ISocketFactory;
}

/**
 * A kafkajs client whose logs go to a Nest logger at warn and above (kafkajs is chatty at info),
 * with short connection and request timeouts so an unreachable broker is noticed in seconds.
 */
export function createKafkaClient(options: KafkaClientOptions): Kafka {
  const { logger } = options;
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    socketFactory: options.socketFactory,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, error } = entry.log as { message: string; error?: string };
      // The publisher bounds the idempotent producer's retries on purpose and replaces the
      // producer after a failure, which keeps the guarantee this warning is about.
      if (message.startsWith('Limiting retries for the idempotent producer')) return;
      // kafkajs logs every error response at error level, also those it retries (NOT_LEADER after
      // a topic was created, a coordinator still loading); what it gives up on reaches the caller.
      if (entry.namespace === 'Connection' && message.startsWith('Response ')) return;
      const text = `${entry.namespace}: ${message}${error && !message.includes(error) ? ` (${error})` : ''}`;
      // Connection errors are retried too: a warning each, the caller sees the final failure.
      const transient = entry.namespace === 'Connection' || entry.namespace === 'BrokerPool';
      if (entry.level === logLevel.ERROR && !transient) logger.error(text);
      else if (entry.level <= logLevel.WARN) logger.warn?.(text);
    },
  });
}
