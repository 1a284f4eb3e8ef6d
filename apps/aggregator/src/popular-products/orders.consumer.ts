import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type BatchResult, type IncomingEvent } from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import { EventValidationError } from '@lib/retry';
import { DailySalesQueue } from './daily-sales.queue';
import { parseOrder, type OrderPayload } from './order-payload';

/**
 * Consumes `orders`: each record is validated (orderInput plus `eventId`, `occurredAt`,
 * `receivedAt`); an invalid one fails alone with a non-retryable {@link EventValidationError}
 * (dead-lettered), the valid ones go to the daily sales queue and the batch settles once their
 * flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class OrdersConsumer {
  constructor(private readonly sales: DailySalesQueue) {}

  @EventPattern('orders')
  @WorkQueueBatch()
  async handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
    const valid: IncomingEvent<OrderPayload>[] = [];
    const failed: Array<{ eventId: string; error: unknown }> = [];
    for (const event of events) {
      const parsed = parseOrder(event.payload);
      if (parsed.ok) valid.push({ ...event, payload: parsed.order });
      else
        failed.push({
          eventId: event.eventId,
          error: new EventValidationError(`invalid orders record ${event.eventId}: ${parsed.problem}`),
        });
    }
    if (valid.length > 0) await this.sales.queue.add(valid);
    return failed.length > 0 ? { failed } : {};
  }
}
