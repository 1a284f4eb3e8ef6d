import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { validateBatch, type BatchResult, type IncomingEvent } from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import { deliveryResultPayload } from './delivery-result-payload';
import { DeliveryResultsQueue } from './delivery-results.queue';

/**
 * Consumes `delivery-results`: each record is validated (deliveryResultInput plus `eventId`,
 * `occurredAt`, `receivedAt`); an invalid one fails alone with a non-retryable
 * {@link EventValidationError} (dead-lettered), the valid ones go to the append queue and the
 * batch settles once their flush has committed. Batches, as offset-tracked queues require.
 */
@Controller()
export class DeliveryResultsConsumer {
  constructor(private readonly results: DeliveryResultsQueue) {}

  @EventPattern('delivery-results')
  @WorkQueueBatch()
  async handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
    const { valid, result } = validateBatch(events, deliveryResultPayload);
    if (valid.length > 0) await this.results.queue.add(valid);
    return result;
  }
}
