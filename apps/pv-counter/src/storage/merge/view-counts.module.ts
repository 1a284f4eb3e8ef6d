import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { viewMergeConfig } from './view-merge.config';
import { ViewCountMerger } from './view-count-merger';

/** The merge of flushed views into `page_views_daily` (ViewCountMerger). */
@Module({
  imports: [DatabaseModule],
  providers: [viewMergeConfig.provider, ViewCountMerger],
  exports: [ViewCountMerger],
})
export class ViewCountsModule {}
