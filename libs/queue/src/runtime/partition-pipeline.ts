import { BatchPipeline } from './batch-pipeline';
import type { PartitionPipeline, PartitionPipelineOptions } from './pipeline-core';
import { RecordPipeline } from './record-pipeline';

export { PartitionPipeline, type PartitionPipelineOptions, type Redelivery } from './pipeline-core';

/**
 * The pipeline of one partition (or one queue consumer): a {@link BatchPipeline} for `@Batch(n)`
 * handlers, else a {@link RecordPipeline}.
 */
export function createPartitionPipeline(options: PartitionPipelineOptions): PartitionPipeline {
  return options.binding.batchSize > 0 ? new BatchPipeline(options) : new RecordPipeline(options);
}
