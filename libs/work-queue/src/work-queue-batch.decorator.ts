import { applyDecorators } from '@nestjs/common';
import { Batch, KeyedConcurrency, MAX_CONSUMER_IN_FLIGHT } from '@lib/queue';

/** Events per handler call of {@link WorkQueueBatch} unless given. */
export const WORK_QUEUE_BATCH_SIZE = 500;

/**
 * The consumer decorators of a handler that feeds a work queue: `@Batch(size)`, because an
 * offset-tracked queue needs its events in partition order, and as many outstanding batches as
 * the transport's in-flight window (CONSUMER_MAX_IN_FLIGHT) can hold.
 *
 * Why not a few outstanding batches: such a handler only validates and enqueues, and its batch
 * is outstanding until the flush holding its events has committed. Its outstanding batches are events
 * waiting for the next flush, so `@KeyedConcurrency(4)` with `@Batch(500)` would cap a partition at
 * 2 000 events per flush cycle whatever the rate, and the flushes could never grow with the load.
 * The in-flight window and the work queue's watermarks bound them instead.
 *
 * ```ts
 * @EventPattern('page-views')
 * @WorkQueueBatch()
 * handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
 *   return addValidEvents(this.daily.queue, events, pageViewPayload);
 * }
 * ```
 */
export const WorkQueueBatch = (size: number = WORK_QUEUE_BATCH_SIZE): MethodDecorator =>
  applyDecorators(
    Batch(size),
    KeyedConcurrency(Math.max(1, Math.ceil(MAX_CONSUMER_IN_FLIGHT / size))),
  );
