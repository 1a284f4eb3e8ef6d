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
import { latestPerSymbol, QuoteBook } from './quote-book';
import { tickPayload } from './tick-payload';

/**
 * Consumes `ticks`: each record is validated; an invalid one fails alone with a non-retryable
 * {@link EventValidationError} (dead-lettered), the valid ones go to the candle queue. Once their
 * flush has committed each symbol's latest of them is offered to the QuoteBook, so live quotes
 * never run ahead of the stored candles. Batches, as offset-tracked queues require; the flush is
 * returned as `pending`.
 */
@Controller()
export class TicksConsumer {
  constructor(
    private readonly candles: CandlesQueue,
    private readonly quotes: QuoteBook,
  ) {}

  @EventPattern('ticks')
  @WorkQueueBatch()
  handle(
    @Payload() events: IncomingEvent<unknown>[],
    @Ctx() context: QueueContext,
  ): Promise<BatchResult> {
    const { valid, result } = validateBatch(withRecordTimes(events, context), tickPayload);
    if (valid.length === 0) return Promise.resolve(result);
    // Only each symbol's latest tick waits for the flush (not the whole batch: see addValidEvents).
    const latest = latestPerSymbol(valid.map((event) => event.payload));
    const pending = this.candles.queue.add(valid).then(() => this.quotes.offer(latest));
    pending.catch(() => undefined);
    return Promise.resolve({ ...result, pending });
  }
}
