import { createKafkaDriver } from './kafka/kafka.driver';
import { createMemoryDriver } from './memory/memory.driver';
import type { QueueDriverFactory } from './queue-driver';
import { createRabbitMqDriver } from './rabbitmq/rmq.driver';

/** The driver of each `BROKER` value. */
export const QUEUE_DRIVERS: Record<'memory' | 'kafka' | 'rabbitmq', QueueDriverFactory> = {
  memory: createMemoryDriver,
  kafka: createKafkaDriver,
  rabbitmq: createRabbitMqDriver,
};
