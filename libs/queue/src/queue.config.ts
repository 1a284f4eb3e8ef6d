import { defineConfig, type ConfigOf, enumVar, intVar, listVar, urlVar } from '@lib/config';
import { z } from 'zod';
import type { QueueModuleOptions } from './queue.module-definition';

/** The largest CONSUMER_MAX_IN_FLIGHT accepted: no in-flight window holds more records. */
export const MAX_CONSUMER_IN_FLIGHT = 100_000;

/** CONSUMER_MAX_IN_FLIGHT when it is unset and the app sets no default of its own. */
export const DEFAULT_CONSUMER_MAX_IN_FLIGHT = 10_000;

/** Which broker, where it is, and the consumer's in-flight bounds. */
export const queueConfig = defineConfig(
  'queue',
  z.object({
    BROKER: enumVar(['memory', 'kafka', 'rabbitmq'] as const).default('memory'),
    KAFKA_BROKERS: listVar('host:port addresses').default(['localhost:9092']),
    RABBITMQ_URL: urlVar(['amqp', 'amqps']).default('amqp://guest:guest@localhost:5672'),
    /**
     * Records read but not yet finished, per partition (Kafka) or per consumer (prefetch, RabbitMQ).
     * Unset: the app's default (QueueModule's `defaultMaxInFlight`), else 10 000.
     */
    CONSUMER_MAX_IN_FLIGHT: intVar(1, MAX_CONSUMER_IN_FLIGHT).optional(),
    /**
     * Consumer group (Kafka group, RabbitMQ queue prefix, stored-offsets key, de-duplication
     * scope, the offsets a rebuild reads); unset means the app's name, as docs/contract.md names them. Set it to run a second, independent copy of an app
     * against the same brokers (a shadow deployment, or tests sharing one broker).
     */
    CONSUMER_GROUP: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,100}$/,
        'expected 1-100 characters of letters, digits, ".", "_" or "-"',
      )
      .optional(),
  }),
);

/** The in-flight window: `CONSUMER_MAX_IN_FLIGHT`, else the app's default, else 10 000. */
export function consumerMaxInFlight(
  config: ConfigOf<typeof queueConfig>,
  options: Pick<QueueModuleOptions, 'defaultMaxInFlight'>,
): number {
  return (
    config.CONSUMER_MAX_IN_FLIGHT ?? options.defaultMaxInFlight ?? DEFAULT_CONSUMER_MAX_IN_FLIGHT
  );
}

/** The app's consumer group: the module option, else `CONSUMER_GROUP`, else the app's name. */
export function consumerGroup(
  config: ConfigOf<typeof queueConfig>,
  appName: string,
  options: Pick<QueueModuleOptions, 'group'>,
): string {
  return options.group ?? config.CONSUMER_GROUP ?? appName;
}
