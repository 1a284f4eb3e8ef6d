import { Global, Logger, Module } from '@nestjs/common';
import { APP_NAME, type ConfigOf } from '@lib/config';
import { BrokerAccess } from './broker-access';
import { BrokerHealthIndicator } from './broker.health';
import { CoalescingPublisher } from './coalescing-publisher';
import { ConsumerControl } from './consumer-control';
import { DeadLetterAdmin } from './dead-letters';
import { AdminAudit } from './admin-audit';
import { DeadLettersController } from './dead-letters.controller';
import { EventPublisher } from './event-publisher';
import { kafkaSecurityConfig, type KafkaSecurity } from './kafka/kafka-security.config';
import { kafkaTopicsConfig, type KafkaTopicSettings } from './kafka/kafka-topics.config';
import { OffsetStoreRegistry } from './offset-store.registry';
import { consumerGroup, consumerMaxInFlight, queueConfig } from './queue.config';
import { CONSUMER_GROUP, QUEUE_DRIVER, QUEUE_TRANSPORT } from './queue.constants';
import type { QueueDriver } from './queue-driver';
import { QUEUE_DRIVERS } from './queue.drivers';
import { QueueLifecycle } from './queue.lifecycle';
import { QueueMetrics } from './queue.metrics';
import { QueueStatus } from './queue-status';
import {
  QueueConfigurableModule,
  QUEUE_MODULE_OPTIONS,
  type QueueModuleOptions,
} from './queue.module-definition';
import { rabbitmqTlsConfig, type RmqTlsSettings } from './rabbitmq/rmq-tls.config';
import { createStreamLog } from './stream-log.factory';
import { StreamLog } from './stream-log';
import { StreamsController } from './streams.controller';
import { TimedPublisher } from './timed-publisher';

function createDriver(
  config: ConfigOf<typeof queueConfig>,
  appName: string,
  group: string,
  options: QueueModuleOptions,
  metrics: QueueMetrics,
  offsetStores: OffsetStoreRegistry,
  access: BrokerAccess,
  kafkaSecurity: KafkaSecurity,
  kafkaTopics: KafkaTopicSettings,
  rabbitmqTls: RmqTlsSettings,
): QueueDriver {
  return QUEUE_DRIVERS[config.BROKER]({
    config,
    group,
    maxInFlight: consumerMaxInFlight(config, options),
    metrics,
    logger: new Logger(`${appName} queue`),
    access,
    kafka: { security: kafkaSecurity, topics: kafkaTopics },
    rabbitmq: rabbitmqTls,
    memoryBroker: options.memoryBroker,
    offsetStore: () => offsetStores.store,
  });
}

/**
 * The configured broker (`BROKER`) for one app, over one connection: EventPublisher,
 * ConsumerControl, DeadLetterAdmin, StreamLog, the consumer group (`CONSUMER_GROUP` token), the
 * OffsetStoreRegistry, the transport for `connectQueueConsumers`, the `/admin/dead-letters`
 * routes, metrics, readiness and the shutdown steps. Import `QueueModule.forRoot({ ... })` (or
 * `forRootAsync`) once, in the app's root module; other modules inject from it.
 *
 * Global, although global modules are destroyed last: nothing here closes in a Nest destroy hook.
 * Its consumers, publishers and connections stop in the ShutdownCoordinator's phases (StopIntake,
 * Drain, Flush, CloseBrokers), which run from `beforeApplicationShutdown` in phase order whatever
 * order Nest destroys modules in, so the broker still closes after the work queues' final flush
 * and before the database.
 */
@Global()
@Module({
  controllers: [DeadLettersController, StreamsController],
  providers: [
    queueConfig.provider,
    QueueMetrics,
    AdminAudit,
    BrokerAccess,
    kafkaSecurityConfig.provider,
    kafkaTopicsConfig.provider,
    rabbitmqTlsConfig.provider,
    {
      provide: CONSUMER_GROUP,
      useFactory: (
        config: ConfigOf<typeof queueConfig>,
        appName: string,
        options: QueueModuleOptions,
      ) => consumerGroup(config, appName, options),
      inject: [queueConfig.token, APP_NAME, QUEUE_MODULE_OPTIONS],
    },
    OffsetStoreRegistry,
    {
      provide: QUEUE_DRIVER,
      useFactory: createDriver,
      inject: [
        queueConfig.token,
        APP_NAME,
        CONSUMER_GROUP,
        QUEUE_MODULE_OPTIONS,
        QueueMetrics,
        OffsetStoreRegistry,
        BrokerAccess,
        kafkaSecurityConfig.token,
        kafkaTopicsConfig.token,
        rabbitmqTlsConfig.token,
      ],
    },
    {
      provide: QUEUE_TRANSPORT,
      useFactory: (driver: QueueDriver) => driver.transport,
      inject: [QUEUE_DRIVER],
    },
    {
      // Concurrent publishers (HTTP requests, log shipping) share broker round trips.
      provide: EventPublisher,
      useFactory: (driver: QueueDriver, metrics: QueueMetrics) =>
        new CoalescingPublisher(new TimedPublisher(driver.publisher, metrics)),
      inject: [QUEUE_DRIVER, QueueMetrics],
    },
    {
      provide: ConsumerControl,
      useFactory: (driver: QueueDriver) => driver.transport.control,
      inject: [QUEUE_DRIVER],
    },
    {
      provide: DeadLetterAdmin,
      useFactory: (driver: QueueDriver) => driver.deadLetters,
      inject: [QUEUE_DRIVER],
    },
    {
      provide: StreamLog,
      useFactory: createStreamLog,
      inject: [
        queueConfig.token,
        APP_NAME,
        CONSUMER_GROUP,
        kafkaSecurityConfig.token,
        BrokerAccess,
      ],
    },
    BrokerHealthIndicator,
    QueueLifecycle,
    QueueStatus,
  ],
  exports: [
    EventPublisher,
    ConsumerControl,
    DeadLetterAdmin,
    StreamLog,
    QUEUE_TRANSPORT,
    CONSUMER_GROUP,
    OffsetStoreRegistry,
  ],
})
export class QueueModule extends QueueConfigurableModule {}
