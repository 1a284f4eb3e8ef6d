import { defineConfig, enumVar, intVar, listVar, urlVar } from '@lib/config';
import { z } from 'zod';

/** Which broker, where it is, and the consumer's in-flight bounds. */
export const queueConfig = defineConfig(
  'queue',
  z.object({
    BROKER: enumVar(['memory', 'kafka', 'rabbitmq'] as const).default('memory'),
    KAFKA_BROKERS: listVar('host:port addresses').default(['localhost:9092']),
    RABBITMQ_URL: urlVar(['amqp', 'amqps']).default('amqp://guest:guest@localhost:5672'),
    /** Records read but not yet finished, per partition (Kafka) or per consumer (prefetch, RabbitMQ). */
    CONSUMER_MAX_IN_FLIGHT: intVar(1, 100_000).default(2_000),
  }),
);
