import { Module, type DynamicModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { DatabaseModule } from '@lib/database';
import { PopularProductsJobController } from './popular-products-job.controller';
import { popularProductsConfig } from './popular-products.config';
import { PopularProductsController } from './popular-products.controller';
import { PopularProductsExport } from './popular-products.export';
import { PopularProductsPublisher } from './popular-products.publisher';
import { PopularProductsScheduler } from './popular-products.scheduler';
import { PopularProductsStore } from './popular-products.store';

/** Options of {@link PopularProductsModule.register}. */
export interface PopularProductsModuleOptions {
  /** The app's `QueueModule.register(...)` object (the same one the app imports: one connection). */
  readonly queue: DynamicModule;
}

/**
 * The popular-products export: the scheduled job (`POPULAR_PRODUCTS_CRON`), the manual trigger
 * `POST /admin/jobs/popular-products`, the snapshot store and `GET /v1/stores/:storeId/popular-products`,
 * and the publisher to the `popular-products` stream.
 */
@Module({})
export class PopularProductsModule {
  static register(options: PopularProductsModuleOptions): DynamicModule {
    return {
      module: PopularProductsModule,
      imports: [DatabaseModule, options.queue, ScheduleModule.forRoot()],
      controllers: [PopularProductsController, PopularProductsJobController],
      providers: [
        popularProductsConfig.provider,
        PopularProductsStore,
        PopularProductsPublisher,
        PopularProductsExport,
        PopularProductsScheduler,
      ],
    };
  }
}
