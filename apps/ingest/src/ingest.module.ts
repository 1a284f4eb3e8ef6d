import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { PlatformModule } from '@lib/platform';

/** The ingest app: the platform plus its feature modules. */
@Module({})
export class IngestModule {
  /** Builds the module tree for one app instance and its environment. */
  static register(env: Env): DynamicModule {
    return {
      module: IngestModule,
      imports: [PlatformModule.forRoot('ingest', env)],
    };
  }
}
