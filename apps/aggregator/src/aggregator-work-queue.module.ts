import { WorkQueueModule } from '@lib/work-queue';

/** Flush interval of the aggregator's work queues when FLUSH_INTERVAL_MS is unset (docs/contract.md). */
export const AGGREGATOR_FLUSH_INTERVAL_MS = 15;

/**
 * The aggregator's work-queue module, one object shared by every pipeline module: Nest then
 * creates one WorkQueueRegistry and one offset store for the app, so every stream's offsets are
 * stored by the same ledger.
 */
export const AggregatorWorkQueueModule = WorkQueueModule.register({
  defaultFlushIntervalMs: AGGREGATOR_FLUSH_INTERVAL_MS,
});
