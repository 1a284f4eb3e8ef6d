import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { PlatformModule } from '@lib/platform';

/** The aggregator app: the platform plus its feature modules. */
@Module({})
export class AggregatorModule {
  /** Builds the module tree for one app instance and its environment. */
  static register(env: Env): DynamicModule {
    return {
      module: AggregatorModule,
      imports: [PlatformModule.forRoot('aggregator', env), DatabaseModule],
    };
  }
}
