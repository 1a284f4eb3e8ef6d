import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { WorkQueueModule } from '@lib/work-queue';
import { DailyViewsQueue } from './daily-views.queue';
import { PageViewsConsumer } from './page-views.consumer';
import { PageViewsController } from './page-views.controller';
import { PageViewsQuery } from '../storage';

/** Flush interval of pv-counter's work queue when FLUSH_INTERVAL_MS is unset (docs/contract.md). */
export const PV_COUNTER_FLUSH_INTERVAL_MS = 100;

/** The `page-views` consumer (validation, daily aggregate queue, upsert) and the read API. */
@Module({
  imports: [
    DatabaseModule,
    WorkQueueModule.register({ defaultFlushIntervalMs: PV_COUNTER_FLUSH_INTERVAL_MS }),
  ],
  controllers: [PageViewsConsumer, PageViewsController],
  providers: [DailyViewsQueue, PageViewsQuery],
})
export class PageViewsModule {}
