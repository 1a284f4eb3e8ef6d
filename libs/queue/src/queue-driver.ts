import type { LoggerService } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import type { BrokerAccess } from './broker-access';
import type { KafkaSecurity } from './kafka/kafka-security.config';
import type { KafkaTopicSettings } from './kafka/kafka-topics.config';
import type { DeadLetterAdmin } from './dead-letters';
import type { EventPublisher } from './event-publisher';
import type { MemoryBroker } from './memory/memory-broker';
import type { OffsetStore } from './offset-store';
import type { queueConfig } from './queue.config';
import type { RmqTlsSettings } from './rabbitmq/rmq-tls.config';
import type { ConsumerMetrics } from './runtime/consumer-metrics';
import type { QueueServer } from './runtime/queue-server';

/** What a broker needs to build its driver. */
export interface QueueDriverContext {
  readonly config: ConfigOf<typeof queueConfig>;
  /** The consumer group: the app's name (docs/contract.md). */
  readonly group: string;
  /** Records read and not finished per partition or consumer (CONSUMER_MAX_IN_FLIGHT or the app's default). */
  readonly maxInFlight: number;
  readonly metrics: ConsumerMetrics;
  readonly logger: LoggerService;
  /** Where clients report a rejected credential or certificate (and its end), for readiness. */
  readonly access: BrokerAccess;
  /** Kafka's TLS and SASL settings (certificates read once at start-up) and the settings of the topics it creates. */
  readonly kafka: { readonly security: KafkaSecurity; readonly topics: KafkaTopicSettings };
  /** RabbitMQ's TLS socket options for an `amqps://` URL (certificates read once at start-up). */
  readonly rabbitmq: RmqTlsSettings;
  /** The app's OffsetStore, if one is bound; resolved when consumers start. */
  readonly offsetStore: () => OffsetStore | undefined;
  /** The in-process broker shared by the apps of one process (BROKER=memory), if given. */
  readonly memoryBroker?: MemoryBroker;
}

/**
 * Everything one broker contributes to the QueueModule. The module binds `publisher` to
 * EventPublisher, `transport.control` to ConsumerControl, `deadLetters` to DeadLetterAdmin, the
 * transport to QUEUE_TRANSPORT, and runs the transport's shutdown steps and then {@link close}.
 */
export interface QueueDriver {
  readonly transport: QueueServer;
  readonly publisher: EventPublisher;
  readonly deadLetters: DeadLetterAdmin;
  /** Closes the transport, the publisher and any other connection; idempotent. */
  close(): Promise<void>;
}

/**
 * Builds a broker's driver. It must neither block nor fail on an unreachable broker: consumers
 * connect in `transport.listen`, publishers on first use (they may start connecting in the
 * background, so that readiness reflects the broker early).
 */
export type QueueDriverFactory = (context: QueueDriverContext) => QueueDriver;
