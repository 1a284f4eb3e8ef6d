import { kafkaSecurityConfig } from './kafka/kafka-security.config';
import { kafkaTopicsConfig } from './kafka/kafka-topics.config';
import { queueConfig } from './queue.config';
import { rabbitmqTlsConfig } from './rabbitmq/rmq-tls.config';

/** Every configuration the QueueModule reads, so that an app validates them all before anything opens. */
export const QUEUE_CONFIGS = [
  queueConfig,
  kafkaSecurityConfig,
  kafkaTopicsConfig,
  rabbitmqTlsConfig,
] as const;
