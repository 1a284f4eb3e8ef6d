import { Module, type DynamicModule } from '@nestjs/common';
import type { Env } from '@lib/config';
import { PlatformModule } from '@lib/platform';
import { QueueModule } from '@lib/queue';

/** The name the drain runs under: logs, the broker's client id. */
export const SPOOL_DRAIN_APP = 'spool-drain';

/**
 * What `npm run spool:drain` needs of ingest's wiring: the platform (config, shutdown
 * coordinator, metrics registry, logging) and the configured broker's EventPublisher, without
 * the HTTP intake and without opening a spool of its own.
 */
@Module({})
export class SpoolDrainModule {
  /** The module tree for the drain and its environment. */
  static register(env: Env): DynamicModule {
    return {
      module: SpoolDrainModule,
      imports: [PlatformModule.forRoot(SPOOL_DRAIN_APP, env), QueueModule.forRoot({})],
    };
  }
}
