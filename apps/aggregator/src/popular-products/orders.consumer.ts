import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  withRecordTimes,
  type BatchResult,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { addValidEvents, WorkQueueBatch } from '@lib/work-queue';
import { DailySalesQueue } from './daily-sales.queue';
import { orderPayload } from './order-payload';

/**
 * Consumes `orders`: each record is validated (orderInput plus `eventId` and `receivedAt`, which
 * defaults to the record's time, as `occurredAt` does to `receivedAt`); an invalid one fails alone with a non-retryable {@link EventValidationError}
 * (dead-lettered), the valid ones go to the daily sales queue and the batch settles once their
 * flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class OrdersConsumer {
  constructor(private readonly sales: DailySalesQueue) {}

  @EventPattern('orders')
  @WorkQueueBatch()
  handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    return addValidEvents(this.sales.queue, withRecordTimes(events, context), orderPayload);
  }
}
