import { Injectable } from '@nestjs/common';
import { WorkQueueRegistry, type BatchingWorkQueue } from '@lib/work-queue';
import { candleKeyOf, candleValueOf, mergeCandles, type CandlePart } from './candle';
import { writeCandles } from './candles.writer';
import type { TickPayload } from './tick-payload';

/** Name of the work queue (metrics label, readiness key `work-queue:candles`, dedupe scope). */
export const CANDLES_QUEUE = 'candles';

/**
 * The aggregate queue in front of `candles_1m`: ticks are merged per (symbol, minute) in memory
 * and written every flush interval in one transaction with the processed event ids and, on
 * Kafka, the partition offsets.
 */
@Injectable()
export class CandlesQueue {
  readonly queue: BatchingWorkQueue<TickPayload, CandlePart>;

  constructor(registry: WorkQueueRegistry) {
    this.queue = registry.aggregate<TickPayload, CandlePart>({
      name: CANDLES_QUEUE,
      keyOf: candleKeyOf,
      valueOf: candleValueOf,
      merge: mergeCandles,
      write: writeCandles,
    });
  }
}
