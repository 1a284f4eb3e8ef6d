import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { rebuildConfig } from './rebuild.config';
import { RebuildController } from './rebuild.controller';
import { RebuildService } from './rebuild.service';

/**
 * `POST /admin/rebuild`: recomputes a day of `page_views_daily` and `page_visitors_daily` from the
 * Kafka log (the StreamLog of the app's QueueModule), up to the offsets stored for its consumer group.
 */
@Module({
  imports: [DatabaseModule],
  controllers: [RebuildController],
  providers: [rebuildConfig.provider, RebuildService],
})
export class RebuildModule {}
