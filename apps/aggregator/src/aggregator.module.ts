import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { PlatformModule } from '@lib/platform';
import { LogShippingModule } from '@lib/log-shipping';
import { QueueModule, type QueueModuleOptions } from '@lib/queue';
import { CandlesModule } from './candles';
import { DeliveryResultsModule } from './delivery-results';
import { PopularProductsModule, SalesModule } from './popular-products';

/** The aggregator app: the platform plus its feature modules. */
@Module({})
export class AggregatorModule {
  /** Builds the module tree for one app instance and its environment (and the process's shared memory broker, if any). */
  static register(env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'> = {}): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [
        PlatformModule.forRoot('aggregator', env),
        DatabaseModule,
        QueueModule.forRoot(queue),
        LogShippingModule.register(),
        CandlesModule,
        DeliveryResultsModule,
        SalesModule,
        PopularProductsModule,
      ],
    };
  }
}
