import { defineConfig, intVar, type ConfigOf } from '@lib/config';
import { z } from 'zod';

/** Dead letters wait for an operator: kept 30 days unless `KAFKA_DLT_RETENTION_MS` says otherwise. */
export const DEFAULT_DLT_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const partitionsVar = () => intVar(1, 10_000).optional();

/** Milliseconds, or -1 for "keep forever" (Kafka's `retention.ms=-1`). */
const retentionVar = () =>
  z.coerce
    .number({ message: 'expected -1 (forever) or a number of milliseconds of at least 60000' })
    .int({ message: 'expected -1 (forever) or a number of milliseconds of at least 60000' })
    .refine((ms) => ms === -1 || ms >= 60_000, {
      message: 'expected -1 (forever) or a number of milliseconds of at least 60000',
    });

/**
 * Settings of the topics the apps create (main, retry and dead-letter topics of the streams they
 * use). Unset means the broker's default (`num.partitions`, `default.replication.factor`,
 * `log.retention.ms`), except dead letters, kept 30 days. Topics that already exist are left as
 * they are.
 */
export const kafkaTopicsConfig = defineConfig(
  'kafka-topics',
  z.object({
    KAFKA_TOPIC_PARTITIONS: partitionsVar(),
    KAFKA_RETRY_TOPIC_PARTITIONS: partitionsVar(),
    KAFKA_DLT_PARTITIONS: partitionsVar(),
    KAFKA_TOPIC_REPLICATION_FACTOR: intVar(1, 32_767).optional(),
    KAFKA_TOPIC_RETENTION_MS: retentionVar().optional(),
    KAFKA_RETRY_TOPIC_RETENTION_MS: retentionVar().optional(),
    KAFKA_DLT_RETENTION_MS: retentionVar().default(DEFAULT_DLT_RETENTION_MS),
  }),
);

/** The validated topic settings. */
export type KafkaTopicSettings = ConfigOf<typeof kafkaTopicsConfig>;

/** Which kind of topic a name is: a stream's main topic, one of a group's retry tiers, or its dead letters. */
export type KafkaTopicKind = 'main' | 'retry' | 'dlt';

/** The kind of a topic from its name (`S`, `S.G.retry.<delay>`, `S.G.dlt`). */
export function topicKind(topic: string): KafkaTopicKind {
  if (/\.retry\.\d+(ms|s|m|h)$/.test(topic)) return 'retry';
  if (topic.endsWith('.dlt')) return 'dlt';
  return 'main';
}

/** What kafkajs' createTopics needs for one topic of that kind (-1: the broker's default). */
export function topicSpec(settings: Partial<KafkaTopicSettings>, topic: string) {
  const kind = topicKind(topic);
  const partitions = {
    main: settings.KAFKA_TOPIC_PARTITIONS,
    retry: settings.KAFKA_RETRY_TOPIC_PARTITIONS,
    dlt: settings.KAFKA_DLT_PARTITIONS,
  }[kind];
  const retentionMs = {
    main: settings.KAFKA_TOPIC_RETENTION_MS,
    retry: settings.KAFKA_RETRY_TOPIC_RETENTION_MS,
    dlt: settings.KAFKA_DLT_RETENTION_MS,
  }[kind];
  return {
    topic,
    numPartitions: partitions ?? -1,
    replicationFactor: settings.KAFKA_TOPIC_REPLICATION_FACTOR ?? -1,
    configEntries:
      retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(retentionMs) }],
  };
}
