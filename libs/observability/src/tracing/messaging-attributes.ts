/** Attribute names of the OpenTelemetry messaging semantic conventions used here. */
export const MESSAGING = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  batchCount: 'messaging.batch.message_count',
  messageId: 'messaging.message.id',
  kafkaKey: 'messaging.kafka.message.key',
  kafkaOffset: 'messaging.kafka.offset',
  partition: 'messaging.destination.partition.id',
  consumerGroup: 'messaging.consumer.group.name',
} as const;

/** How many distinct trace contexts a batch or flush span stood for (its links are capped). */
export const LINKED_CONTEXTS = 'event_pipeline.linked_contexts';
