export { WorkQueueModule } from './work-queue.module';
export {
  WORK_QUEUE_MODULE_OPTIONS,
  type WorkQueueModuleOptions,
} from './work-queue.module-definition';
export { workQueueConfig } from './work-queue.config';
export { WorkQueueRegistry } from './work-queue.registry';
export { BatchingWorkQueue, type WorkQueueDeps, type WorkQueueStatus } from './batching-work-queue';
export type {
  AggregateQueueOptions,
  AppendQueueOptions,
  BatchWriter,
  WorkQueueCommonOptions,
} from './work-queue.options';
export {
  resolveSettings,
  type WorkQueueDefaults,
  type WorkQueueSettings,
} from './work-queue.settings';
export { backoffDelay, DEFAULT_FLUSH_BACKOFF, type BackoffPolicy } from './backoff';
export {
  unnestUpsert,
  type ConflictAction,
  type UnnestColumn,
  type UnnestStatement,
  type UnnestUpsertSpec,
} from './sql/unnest-upsert';
export { PgOffsetStore } from './offsets/pg-offset-store';
export { OffsetLedger } from './offsets/offset-ledger';
export { StreamPauser } from './stream-pauser';
export { createQueueMetrics, type QueueMetrics } from './work-queue.metrics';
export { DedupeRetentionJob, type RetentionOptions } from './dedupe/dedupe-retention.job';
export { claimEventIds, claimedEventIds } from './dedupe/processed-events';
export {
  FlushTimeoutError,
  isRetriableWorkQueueError,
  isWorkDiscarded,
  PartitionFencedError,
  WorkDiscardedError,
  WorkQueueClosedError,
  WorkQueueConfigError,
  WorkQueueError,
} from './work-queue.errors';
export { WORK_QUEUE_BATCH_SIZE, WorkQueueBatch } from './work-queue-batch.decorator';
export { addValidEvents, type EventSink } from './add-valid-events';
export { WorkBuffer } from './buffer/work-buffer';
export type { BatchShape } from './buffer/batch-shape';
export { writeBatchInTransaction, type FlushContext } from './flush/flush-transaction';
export { GENERATION_MS, generationOf, timePrefix } from './dedupe/dedupe-keys';
