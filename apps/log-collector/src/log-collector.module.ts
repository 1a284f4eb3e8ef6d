import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import { PlatformModule } from '@lib/platform';

/** The log-collector app: the platform plus its feature modules. */
@Module({})
export class LogCollectorModule {
  /** Builds the module tree for one app instance and its environment. */
  static register(env: Env): DynamicModule {
    return {
      module: LogCollectorModule,
      imports: [PlatformModule.forRoot('log-collector', env), DatabaseModule],
    };
  }
}
