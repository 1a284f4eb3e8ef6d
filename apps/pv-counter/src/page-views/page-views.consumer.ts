import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  withRecordTimes,
  type BatchResult,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { addValidEvents, WorkQueueBatch } from '@lib/work-queue';
import { DailyViewsQueue } from './daily-views.queue';
import { pageViewPayload } from './page-view-payload';

/**
 * Consumes `page-views`: each record is validated (pageViewInput plus `eventId` and `receivedAt`,
 * which defaults to the record's time, as `occurredAt` does to `receivedAt`); an invalid one fails alone with a non-retryable {@link EventValidationError}
 * (dead-lettered), the valid ones go to the daily aggregate queue and the batch settles once
 * their flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class PageViewsConsumer {
  constructor(private readonly daily: DailyViewsQueue) {}

  @EventPattern('page-views')
  @WorkQueueBatch()
  handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    return addValidEvents(this.daily.queue, withRecordTimes(events, context), pageViewPayload);
  }
}
