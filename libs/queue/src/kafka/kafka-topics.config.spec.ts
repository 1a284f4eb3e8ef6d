import { isConfigError } from '@lib/config';
import {
  DEFAULT_DLT_RETENTION_MS,
  kafkaTopicsConfig,
  topicKind,
  topicSpec,
} from './kafka-topics.config';

describe('kafkaTopicsConfig', () => {
  it('leaves partitions, replication and retention to the broker by default, except dead letters (30 days)', () => {
    const settings = kafkaTopicsConfig.load({});
    expect(topicSpec(settings, 'orders')).toEqual({
      topic: 'orders',
      numPartitions: -1,
      replicationFactor: -1,
      configEntries: [],
    });
    expect(topicSpec(settings, 'orders.aggregator.dlt')).toEqual({
      topic: 'orders.aggregator.dlt',
      numPartitions: -1,
      replicationFactor: -1,
      configEntries: [{ name: 'retention.ms', value: String(DEFAULT_DLT_RETENTION_MS) }],
    });
  });

  it('applies each kind its own settings', () => {
    const settings = kafkaTopicsConfig.load({
      KAFKA_TOPIC_PARTITIONS: '6',
      KAFKA_RETRY_TOPIC_PARTITIONS: '3',
      KAFKA_DLT_PARTITIONS: '1',
      KAFKA_TOPIC_REPLICATION_FACTOR: '3',
      KAFKA_TOPIC_RETENTION_MS: '604800000',
      KAFKA_RETRY_TOPIC_RETENTION_MS: '86400000',
      KAFKA_DLT_RETENTION_MS: '-1',
    });
    expect(topicSpec(settings, 'orders')).toMatchObject({
      numPartitions: 6,
      replicationFactor: 3,
      configEntries: [{ name: 'retention.ms', value: '604800000' }],
    });
    expect(topicSpec(settings, 'orders.aggregator.retry.10s')).toMatchObject({
      numPartitions: 3,
      configEntries: [{ name: 'retention.ms', value: '86400000' }],
    });
    expect(topicSpec(settings, 'orders.aggregator.dlt')).toMatchObject({
      numPartitions: 1,
      configEntries: [{ name: 'retention.ms', value: '-1' }],
    });
  });

  it.each([
    ['orders', 'main'],
    ['page-views.pv-counter.retry.1500ms', 'retry'],
    ['page-views.pv-counter.retry.1m', 'retry'],
    ['page-views.pv-counter.dlt', 'dlt'],
  ])('%s is a %s topic', (topic, kind) => {
    expect(topicKind(topic)).toBe(kind);
  });

  it.each([
    ['KAFKA_TOPIC_PARTITIONS', '0'],
    ['KAFKA_TOPIC_REPLICATION_FACTOR', 'three'],
    ['KAFKA_DLT_RETENTION_MS', '0'],
    ['KAFKA_TOPIC_RETENTION_MS', '-2'],
  ])('refuses %s=%s with one line naming it', (name, value) => {
    let error: unknown;
    try {
      kafkaTopicsConfig.load({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(isConfigError(error)).toBe(true);
    expect((error as Error).message).toMatch(
      new RegExp(`^Invalid configuration: ${name}="${value}": expected`),
    );
  });
});
