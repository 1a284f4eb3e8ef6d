import type { LoggerService } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { BrokerAccess } from '../broker-access';
import { QueueError } from '../queue.errors';
import {
  StreamLog,
  type PartitionOffset,
  type StreamLogBatch,
  type StreamLogFollower,
} from '../stream-log';
import { KafkaAccessMonitor } from './kafka-access';
import { createKafkaClient } from './kafka-client';
import type { KafkaSecurity } from './kafka-security.config';
import { followTopic } from './kafka-log-follower';

/** Options of {@link KafkaStreamLog}. */
export interface KafkaStreamLogOptions {
  readonly brokers: readonly string[];
  /** The app's consumer group; the client id is derived from it. */
  readonly group: string;
  readonly logger: LoggerService;
  readonly security?: KafkaSecurity;
  /** Told when Kafka refuses the credentials or certificates, and when it accepts them again. */
  readonly access?: BrokerAccess;
}

/**
 * The StreamLog on Kafka: offsets by timestamp through the admin API, reads through a
 * throwaway consumer group. It has a client of its own (no connection is opened until it is
 * used, and each use closes what it opened), so it never competes with the app's consumer.
 */
export class KafkaStreamLog extends StreamLog {
  readonly available = true;
  readonly broker = 'kafka';
  private kafka?: Kafka;

  constructor(private readonly options: KafkaStreamLogOptions) {
    super();
  }

  async offsetsAt(stream: string, timestampMs: number): Promise<PartitionOffset[]> {
    const admin = this.client().admin();
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsetsByTimestamp(stream, timestampMs);
      return offsets
        .map(({ partition, offset }) => ({ partition, offset }))
        .sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw new QueueError(
        `could not read the offsets of ${stream}: ${(error as Error).message}`,
        true,
        { cause: error },
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  follow(
    stream: string,
    from: readonly PartitionOffset[],
    onBatch: (batch: StreamLogBatch) => Promise<void> | void,
  ): Promise<StreamLogFollower> {
    return followTopic(this.client(), stream, from, onBatch);
  }

  private client(): Kafka {
    this.kafka ??= createKafkaClient({
      brokers: this.options.brokers,
      clientId: `${this.options.group}-stream-log`,
      logger: this.options.logger,
      security: this.options.security,
      monitor: new KafkaAccessMonitor(this.options.logger, this.options.access),
    });
    return this.kafka;
  }
}
