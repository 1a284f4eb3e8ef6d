import type { QueueDriver, QueueDriverFactory } from '../queue-driver';
import { KafkaAccessMonitor } from './kafka-access';
import { createKafkaClient } from './kafka-client';
import { KafkaDeadLetters } from './kafka-dead-letters';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaTopology } from './kafka-topology';
import { KafkaQueueServer } from './server-kafka';

/**
 * `BROKER=kafka`: one kafkajs client per app for its publisher, consumer, topology and dead
 * letters, with the app's TLS and SASL settings; one monitor reports refused access for all.
 */
export const createKafkaDriver: QueueDriverFactory = (context): QueueDriver => {
  const monitor = new KafkaAccessMonitor(context.logger, context.access);
  const kafka = createKafkaClient({
    brokers: context.config.KAFKA_BROKERS,
    clientId: context.group,
    logger: context.logger,
    security: context.kafka.security,
    monitor,
  });
  const topology = new KafkaTopology(kafka, context.logger, context.kafka.topics);
  const publisher = new KafkaPublisher(kafka, topology, { logger: context.logger, monitor });
  publisher.warmUp();
  const transport = new KafkaQueueServer({
    kafka,
    group: context.group,
    publisher,
    topology,
    maxInFlight: context.maxInFlight,
    logger: context.logger,
    metrics: context.metrics,
    offsetStore: context.offsetStore,
    monitor,
  });
  const deadLetters = new KafkaDeadLetters(kafka, publisher, context.group);
  return {
    transport,
    publisher,
    deadLetters,
    async close() {
      await transport.close();
      await Promise.all([publisher.close(), deadLetters.close()]);
    },
  };
};
