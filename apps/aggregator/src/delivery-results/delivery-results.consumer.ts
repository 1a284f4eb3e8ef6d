import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  withRecordTimes,
  type BatchResult,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { addValidEvents, WorkQueueBatch } from '@lib/work-queue';
import { deliveryResultPayload } from './delivery-result-payload';
import { DeliveryResultsQueue } from './delivery-results.queue';

/**
 * Consumes `delivery-results`: each record is validated (deliveryResultInput plus `eventId` and
 * `receivedAt`, which defaults to the record's time, as `occurredAt` does to `receivedAt`); an invalid one fails alone with a non-retryable
 * {@link EventValidationError} (dead-lettered), the valid ones go to the append queue and the
 * batch settles once their flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class DeliveryResultsConsumer {
  constructor(private readonly results: DeliveryResultsQueue) {}

  @EventPattern('delivery-results')
  @WorkQueueBatch()
  handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    return addValidEvents(
      this.results.queue,
      withRecordTimes(events, context),
      deliveryResultPayload,
    );
  }
}
