import type { QueueDriver, QueueDriverFactory } from '../queue-driver';
import { createKafkaClient } from './kafka-client';
import { KafkaDeadLetters } from './kafka-dead-letters';
import { KafkaPublisher } from './kafka-publisher';
import { KafkaTopology } from './kafka-topology';
import { KafkaQueueServer } from './server-kafka';

/** `BROKER=kafka`: one kafkajs client per app for its publisher, consumer, topology and dead letters. */
export const createKafkaDriver: QueueDriverFactory = (context): QueueDriver => {
  const kafka = createKafkaClient({ brokers: context.config.KAFKA_BROKERS, clientId: context.group, logger: context.logger });
  const topology = new KafkaTopology(kafka, context.logger);
  const publisher = new KafkaPublisher(kafka, topology, { logger: context.logger });
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
