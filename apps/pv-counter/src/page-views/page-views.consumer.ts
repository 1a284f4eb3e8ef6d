import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { validateBatch, type BatchResult, type IncomingEvent } from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import { DailyViewsQueue } from './daily-views.queue';
import { pageViewPayload } from './page-view-payload';

/**
 * Consumes `page-views`: each record is validated (pageViewInput plus `eventId`, `occurredAt`,
 * `receivedAt`); an invalid one fails alone with a non-retryable {@link EventValidationError}
 * (dead-lettered), the valid ones go to the daily aggregate queue and the batch settles once
 * their flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class PageViewsConsumer {
  constructor(private readonly daily: DailyViewsQueue) {}

  @EventPattern('page-views')
  @WorkQueueBatch()
  async handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
    const { valid, result } = validateBatch(events, pageViewPayload);
    if (valid.length > 0) await this.daily.queue.add(valid);
    return result;
  }
}
