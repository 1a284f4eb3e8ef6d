import { Logger, Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { APP_NAME, type ConfigOf } from '@lib/config';
import { BrokerAccess } from './broker-access';
import { BrokerHealthIndicator } from './broker.health';
import { CoalescingPublisher } from './coalescing-publisher';
import { ConsumerControl } from './consumer-control';
import { DeadLetterAdmin } from './dead-letters';
import { DeadLettersController } from './dead-letters.controller';
import { EventPublisher } from './event-publisher';
import { kafkaSecurityConfig, type KafkaSecurity } from './kafka/kafka-security.config';
import { kafkaTopicsConfig, type KafkaTopicSettings } from './kafka/kafka-topics.config';
import { OffsetStore } from './offset-store';
import { consumerGroup, consumerMaxInFlight, queueConfig } from './queue.config';
import { QUEUE_DRIVER, QUEUE_TRANSPORT } from './queue.constants';
import type { QueueDriver } from './queue-driver';
import { QUEUE_DRIVERS } from './queue.drivers';
import { QueueLifecycle } from './queue.lifecycle';
import { QueueMetrics } from './queue.metrics';
import { QueueConfigurableModule, QUEUE_MODULE_OPTIONS, type QueueModuleOptions } from './queue.module-definition';
import { rabbitmqTlsConfig, type RmqTlsSettings } from './rabbitmq/rmq-tls.config';
import { createStreamLog } from './stream-log.factory';
import { StreamLog } from './stream-log';

function createDriver(
  config: ConfigOf<typeof queueConfig>,
  appName: string,
  options: QueueModuleOptions,
  metrics: QueueMetrics,
  moduleRef: ModuleRef,
  access: BrokerAccess,
  kafkaSecurity: KafkaSecurity,
  kafkaTopics: KafkaTopicSettings,
  rabbitmqTls: RmqTlsSettings,
): QueueDriver {
  const group = consumerGroup(config, appName, options);
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
    offsetStore: () => {
      try {
        return moduleRef.get(OffsetStore, { strict: false });
      } catch {
        return undefined; // none bound: Kafka's committed offsets alone decide where to start
      }
    },
  });
}

/**
 * The configured broker (`BROKER`) for one app: EventPublisher, ConsumerControl, DeadLetterAdmin,
 * the transport for `connectQueueConsumers`, the `/admin/dead-letters` routes, metrics, readiness
 * and the shutdown steps. Import `QueueModule.register({ memoryBroker? })` in the app's root
 * module; not global, so it is destroyed with the app's modules rather than last.
 */
@Module({
  controllers: [DeadLettersController],
  providers: [
    queueConfig.provider,
    QueueMetrics,
    BrokerAccess,
    kafkaSecurityConfig.provider,
    kafkaTopicsConfig.provider,
    rabbitmqTlsConfig.provider,
    {
      provide: QUEUE_DRIVER,
      useFactory: createDriver,
      inject: [
        queueConfig.token,
        APP_NAME,
        QUEUE_MODULE_OPTIONS,
        QueueMetrics,
        ModuleRef,
        BrokerAccess,
        kafkaSecurityConfig.token,
        kafkaTopicsConfig.token,
        rabbitmqTlsConfig.token,
      ],
    },
    { provide: QUEUE_TRANSPORT, useFactory: (driver: QueueDriver) => driver.transport, inject: [QUEUE_DRIVER] },
    {
      // Concurrent publishers (HTTP requests, log shipping) share broker round trips.
      provide: EventPublisher,
      useFactory: (driver: QueueDriver) => new CoalescingPublisher(driver.publisher),
      inject: [QUEUE_DRIVER],
    },
    { provide: ConsumerControl, useFactory: (driver: QueueDriver) => driver.transport.control, inject: [QUEUE_DRIVER] },
    { provide: DeadLetterAdmin, useFactory: (driver: QueueDriver) => driver.deadLetters, inject: [QUEUE_DRIVER] },
    {
      provide: StreamLog,
      useFactory: createStreamLog,
      inject: [queueConfig.token, APP_NAME, QUEUE_MODULE_OPTIONS, kafkaSecurityConfig.token, BrokerAccess],
    },
    BrokerHealthIndicator,
    QueueLifecycle,
  ],
  exports: [EventPublisher, ConsumerControl, DeadLetterAdmin, StreamLog, QUEUE_TRANSPORT],
})
export class QueueModule extends QueueConfigurableModule {}
