import { Injectable } from '@nestjs/common';
import { WorkQueueRegistry, type BatchingWorkQueue } from '@lib/work-queue';
import { dailySalesKeyOf, dailySalesOf, mergeDailySales, type DailySales } from './daily-sales';
import { writeDailySales } from './daily-sales.writer';
import type { OrderPayload } from './order-payload';

/** Name of the work queue (metrics label, readiness key `work-queue:sales-daily`, dedupe scope). */
export const DAILY_SALES_QUEUE = 'sales-daily';

/**
 * The aggregate queue in front of `sales_daily`: orders are merged per (UTC day, store, product)
 * in memory and written every flush interval as one upsert, in one transaction with the processed
 * event ids (de-duplication by `eventId`) and, on Kafka, the partition offsets.
 */
@Injectable()
export class DailySalesQueue {
  readonly queue: BatchingWorkQueue<OrderPayload, DailySales>;

  constructor(registry: WorkQueueRegistry) {
    this.queue = registry.aggregate<OrderPayload, DailySales>({
      name: DAILY_SALES_QUEUE,
      keyOf: dailySalesKeyOf,
      valueOf: dailySalesOf,
      merge: mergeDailySales,
      write: writeDailySales,
    });
  }
}
