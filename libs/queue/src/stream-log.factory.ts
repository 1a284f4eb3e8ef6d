import { Logger } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import type { BrokerAccess } from './broker-access';
import type { KafkaSecurity } from './kafka/kafka-security.config';
import { KafkaStreamLog } from './kafka/kafka-stream-log';
import type { queueConfig } from './queue.config';
import { UnavailableStreamLog, type StreamLog } from './stream-log';

/** The StreamLog of the configured broker: Kafka's log, or one that says it needs Kafka. */
export function createStreamLog(
  config: ConfigOf<typeof queueConfig>,
  appName: string,
  group: string,
  security: KafkaSecurity,
  access: BrokerAccess,
): StreamLog {
  if (config.BROKER !== 'kafka') return new UnavailableStreamLog(config.BROKER);
  return new KafkaStreamLog({
    brokers: config.KAFKA_BROKERS,
    group,
    logger: new Logger(`${appName} stream log`),
    security,
    access,
  });
}
