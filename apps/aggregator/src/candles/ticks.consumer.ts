import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import {
  validateBatch,
  withRecordTimes,
  type BatchResult,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { WorkQueueBatch } from '@lib/work-queue';
import { CandlesQueue } from './candles.queue';
import { QuoteBook } from './quote-book';
import { tickPayload } from './tick-payload';

/**
 * Consumes `ticks`: each record is validated; an invalid one fails alone with a non-retryable
 * {@link EventValidationError} (dead-lettered), the valid ones go to the candle queue. Once their
 * flush has committed they are offered to the QuoteBook, so live quotes never run ahead of the
 * stored candles. Batches, as offset-tracked queues require.
 */
@Controller()
export class TicksConsumer {
  constructor(
    private readonly candles: CandlesQueue,
    private readonly quotes: QuoteBook,
  ) {}

  @EventPattern('ticks')
  @WorkQueueBatch()
  async handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    const { valid, result } = validateBatch(withRecordTimes(events, context), tickPayload);
    if (valid.length > 0) {
      await this.candles.queue.add(valid);
      this.quotes.offer(valid.map((event) => event.payload));
    }
    return result;
  }
}
