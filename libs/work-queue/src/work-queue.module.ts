import { Module, type OnModuleInit } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { OffsetStoreRegistry } from '@lib/queue';
import { OffsetLedger } from './offsets/offset-ledger';
import { PgOffsetStore } from './offsets/pg-offset-store';
import { workQueueConfig } from './work-queue.config';
import { WorkQueueHealthIndicator } from './work-queue.health';
import { WorkQueueConfigurableModule } from './work-queue.module-definition';
import { WorkQueueRegistry } from './work-queue.registry';

/**
 * Work queues for an app that consumes: `WorkQueueModule.register({ defaultFlushIntervalMs })`.
 * Provides {@link WorkQueueRegistry} (create named queues) and registers its PostgreSQL
 * OffsetStore with the global QueueModule's OffsetStoreRegistry, so the Kafka transport seeks to
 * the offsets the queues store with their data. Offsets and de-duplication scopes are kept under
 * the QueueModule's consumer group (`CONSUMER_GROUP` token), the one the transport consumes as.
 * Needs `QueueModule.forRoot(...)` in the app. Not global: a consumer module, destroyed before
 * the global ones it depends on.
 *
 * ```ts
 * @Injectable()
 * export class DailyViewsQueue {
 *   readonly queue: BatchingWorkQueue<PageView, DailyViews>;
 *   constructor(registry: WorkQueueRegistry) {
 *     this.queue = registry.aggregate<PageView, DailyViews>({
 *       name: 'daily-views',
 *       valueOf: (e) => ({ day: dayOf(e), pageId: e.payload.pageId, views: 1 }),
 *       keyOf: (_e, value) => `${value.day}|${value.pageId}`,
 *       merge: (a, b) => ({ ...a, views: a.views + b.views }),
 *       write: (runner, batch) => upsertDailyViews.run(runner, batch), // an unnestUpsert
 *     });
 *   }
 * }
 *
 * @Controller()
 * export class PageViewsConsumer {
 *   constructor(private readonly daily: DailyViewsQueue) {}
 *
 *   @EventPattern('page-views')
 *   @Batch(500) // batches reach the queue in partition order, which stored offsets need
 *   handle(@Payload() events: IncomingEvent<PageView>[]) {
 *     return this.daily.queue.add(events); // resolves after the flush holding them committed
 *   }
 * }
 * ```
 */
@Module({
  imports: [DatabaseModule],
  providers: [
    workQueueConfig.provider,
    OffsetLedger,
    PgOffsetStore,
    WorkQueueHealthIndicator,
    WorkQueueRegistry,
  ],
  exports: [PgOffsetStore, WorkQueueRegistry],
})
export class WorkQueueModule extends WorkQueueConfigurableModule implements OnModuleInit {
  constructor(
    private readonly offsetStores: OffsetStoreRegistry,
    private readonly store: PgOffsetStore,
  ) {
    super();
  }

  onModuleInit(): void {
    this.offsetStores.register(this.store);
  }
}
