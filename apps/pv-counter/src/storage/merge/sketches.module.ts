import { Module } from '@nestjs/common';
import { DatabaseModule } from '@lib/database';
import { sketchMergeConfig } from './sketch-merge.config';
import { VisitorSketchMerger } from './visitor-sketch-merger';

/** The merge of flushed visitors into the unique-visitor sketches (VisitorSketchMerger). */
@Module({
  imports: [DatabaseModule],
  providers: [sketchMergeConfig.provider, VisitorSketchMerger],
  exports: [VisitorSketchMerger],
})
export class SketchesModule {}
