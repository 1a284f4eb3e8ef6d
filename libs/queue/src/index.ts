export { MAX_CONSUMER_IN_FLIGHT, queueConfig } from './queue.config';
export { QUEUE_CONFIGS } from './queue.configs';
/** The Kafka consumer's fetch sizes, for comparisons that must read the same way (consumer-kafka bench). */
export { KAFKA_FETCH_OPTIONS } from './kafka/server-kafka';
export type {
  EventMetadata,
  EventMetadataReader,
  EventPosition,
  IncomingEvent,
} from './incoming-event';
export type { OutgoingMessage } from './outgoing-message';
export { EventPublisher } from './event-publisher';
export { ConsumerControl, type PauseHolder, type StreamConsumerStatus } from './consumer-control';
export { DeadLetterAdmin, type DeadLetter } from './dead-letters';
export { OffsetStore, type StoredOffset } from './offset-store';
export {
  OffsetResetRefusedError,
  type OffsetResetPlan,
  type OffsetResetTarget,
  type PartitionOffsetMove,
} from './offset-reset';
export { OffsetStoreRegistry } from './offset-store.registry';
export {
  StreamLog,
  StreamLogUnavailableError,
  type PartitionOffset,
  type StreamLogBatch,
  type StreamLogFollower,
} from './stream-log';
export {
  BrokerConnectionError,
  isRedeliver,
  isRetriableQueueError,
  PublishError,
  QueueError,
  RedeliverError,
} from './queue.errors';
export {
  Batch,
  handlerOptionsOf,
  KeyedConcurrency,
  Retry,
  type BatchResult,
  type HandlerOptions,
} from './queue.decorators';
export { CoalescingPublisher } from './coalescing-publisher';
export { QueueModule } from './queue.module';
export type { QueueModuleOptions } from './queue.module-definition';
export { CONSUMER_GROUP, QUEUE_TRANSPORT } from './queue.constants';
export { connectQueueConsumers } from './connect-queue-consumers';
export { MemoryBroker, type MemoryBrokerOptions } from './memory/memory-broker';
export { PassThroughRpcFilter, QueueContext } from './runtime/handler-invoker';
export {
  checkPayload,
  validateBatch,
  type PayloadCheck,
  type ValidatedBatch,
} from './validate-batch';
export { withRecordTimes } from './stamped-events';
