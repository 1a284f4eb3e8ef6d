import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { rebuildConfig } from './rebuild.config';
import { RebuildController } from './rebuild.controller';
import { RebuildService } from './rebuild.service';

/** Options of {@link RebuildModule.register}. */
export interface RebuildModuleOptions {
  /** The app's QueueModule import (one broker connection per app), which provides StreamLog. */
  readonly queue: DynamicModule;
}

/** `POST /admin/rebuild`: recomputes a day of `page_views_daily` and `page_visitors_daily` from the Kafka log. */
@Module({})
export class RebuildModule {
  static register(options: RebuildModuleOptions): DynamicModule {
    return {
      module: RebuildModule,
      imports: [DatabaseModule, options.queue],
      controllers: [RebuildController],
      providers: [rebuildConfig.provider, RebuildService],
    };
  }
}
