export { MergeSchedule, FINAL_MERGE_MS, mergeInBatches, type ScheduledMerge } from './merge-schedule';
export { createMergeMetrics, type MergeCounts, type MergeMetrics, type MergeMetricNames } from './merge-metrics';
export { groupByShard, MERGE_SHARDS, shardOf } from './merge-shards';
