import { Injectable } from '@nestjs/common';
import { WorkQueueRegistry, type BatchingWorkQueue } from '@lib/work-queue';
import { mergeDaily, writeDailyViews, type DailyPageViews } from '../storage';
import { dailyKeyOf, dailyValueOf } from './daily-views';
import type { PageViewPayload } from './page-view-payload';

/** Name of the work queue (metrics label, readiness key `work-queue:page-views-daily`, dedupe scope). */
export const DAILY_VIEWS_QUEUE = 'page-views-daily';

/**
 * The aggregate queue in front of `page_views_daily`: page views are merged per (UTC day, page)
 * in memory and written every flush interval in one transaction with the processed event ids
 * (de-duplication by `eventId`) and, on Kafka, the partition offsets.
 */
@Injectable()
export class DailyViewsQueue {
  readonly queue: BatchingWorkQueue<PageViewPayload, DailyPageViews>;

  constructor(registry: WorkQueueRegistry) {
    this.queue = registry.aggregate<PageViewPayload, DailyPageViews>({
      name: DAILY_VIEWS_QUEUE,
      keyOf: dailyKeyOf,
      valueOf: dailyValueOf,
      merge: mergeDaily,
      write: writeDailyViews,
    });
  }
}
