/** The two real brokers as the counter specs use them: env for the fixture, topic setup, publish. */
import * as amqp from 'amqplib';
import { testServices, uniqueName } from '@test/support';
import { createTopic, publishKafka, publishRabbit, type CounterEvent } from './counter-harness';

export interface CounterBroker {
  readonly name: 'kafka' | 'rabbitmq';
  readonly stream: string;
  readonly group: string;
  /** Env for the fixture process. */
  env(): Record<string, string>;
  /** Before the first fixture start (Kafka: a topic with `partitions` partitions). */
  prepare(partitions: number): Promise<void>;
  publish(
    events: readonly CounterEvent[],
    options?: { chunk?: number; pauseMs?: number },
  ): Promise<void>;
  /** Messages waiting in the group's queue (RabbitMQ; undefined on Kafka). */
  queued(): Promise<number | undefined>;
}

export function counterBroker(name: 'kafka' | 'rabbitmq', label: string): CounterBroker {
  const services = testServices();
  const stream = uniqueName(label);
  const group = uniqueName('counter');
  if (name === 'kafka') {
    return {
      name,
      stream,
      group,
      env: () => ({
        BROKER: 'kafka',
        KAFKA_BROKERS: services.kafkaBrokers,
        COUNTER_STREAM: stream,
        COUNTER_GROUP: group,
      }),
      prepare: (partitions) => createTopic(services.kafkaBrokers, stream, partitions),
      publish: (events, options) => publishKafka(services.kafkaBrokers, stream, events, options),
      queued: async () => undefined,
    };
  }
  return {
    name,
    stream,
    group,
    env: () => ({
      BROKER: 'rabbitmq',
      RABBITMQ_URL: services.rabbitmqUrl,
      COUNTER_STREAM: stream,
      COUNTER_GROUP: group,
    }),
    prepare: async () => undefined, // the fixture declares exchange and queue: start it before publishing
    publish: (events, options) => publishRabbit(services.rabbitmqUrl, stream, events, options),
    async queued() {
      const connection = await amqp.connect(services.rabbitmqUrl);
      try {
        const channel = await connection.createChannel();
        const { messageCount } = await channel.checkQueue(`${group}.${stream}`);
        await channel.close();
        return messageCount;
      } finally {
        await connection.close();
      }
    },
  };
}
