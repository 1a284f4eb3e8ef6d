import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DatabaseModule } from '@lib/database';
import { PopularProductsJobController } from './popular-products-job.controller';
import { popularProductsConfig } from './popular-products.config';
import { PopularProductsController } from './popular-products.controller';
import { PopularProductsExport } from './popular-products.export';
import { PopularProductsPublisher } from './popular-products.publisher';
import { PopularProductsScheduler } from './popular-products.scheduler';
import { PopularProductsStore } from './popular-products.store';

/**
 * The popular-products export: the scheduled job (`POPULAR_PRODUCTS_CRON`), the manual trigger
 * `POST /admin/jobs/popular-products`, the snapshot store and `GET /v1/stores/:storeId/popular-products`,
 * and the publisher to the `popular-products` stream (the EventPublisher of the app's QueueModule).
 */
@Module({
  imports: [DatabaseModule, ScheduleModule.forRoot()],
  controllers: [PopularProductsController, PopularProductsJobController],
  providers: [
    popularProductsConfig.provider,
    PopularProductsStore,
    PopularProductsPublisher,
    PopularProductsExport,
    PopularProductsScheduler,
  ],
})
export class PopularProductsModule {}
