// pv-counter's storage: `write/` records a flush, `merge/` folds the waiting rows into the count
// and sketch tables, `read/` answers the queries; `hll/` is the sketch format all three share.
export { HyperLogLog } from './hll/hyperloglog';
export { EXACT_LIMIT } from './hll/sketch-format';
export { registerUpdate, visitorUpdate } from './hll/visitor-hashes';
export { raiseSketchBytes } from './hll/raise-sketch-bytes';
export { packSketches, unpackedSketch, type PackedSketches } from './hll/packed-sketches';
export {
  mergeDaily,
  trailUpdates,
  type DailyPageViews,
  type VisitorTrail,
} from './write/daily-page-views';
export { writeDailyViews } from './write/daily-views.writer';
export {
  MergeSchedule,
  FINAL_MERGE_MS,
  mergeInBatches,
  type ScheduledMerge,
} from './merge/merge-schedule';
export {
  createMergeMetrics,
  type MergeCounts,
  type MergeMetrics,
  type MergeMetricNames,
} from './merge/merge-metrics';
export { groupByShard, MERGE_SHARDS, shardOf } from './merge/merge-shards';
export { ViewCountsModule } from './merge/view-counts.module';
export {
  ViewCountMerger,
  VIEW_ROWS_PER_MERGE,
  VIEW_PAGES_PER_MERGE,
} from './merge/view-count-merger';
export { viewMergeConfig } from './merge/view-merge.config';
export {
  PAGE_VIEWS_DAILY,
  PAGE_VIEW_UPDATES,
  PAGE_VIEWS_LIVE,
  appendViewUpdates,
  mergeViewUpdates,
  type ViewUpdate,
  type ViewMergeResult,
} from './merge/view-updates.store';
export { SketchesModule } from './merge/sketches.module';
export { VisitorSketchMerger, ROWS_PER_MERGE } from './merge/visitor-sketch-merger';
export { sketchMergeConfig } from './merge/sketch-merge.config';
export { PAGE_VISITORS_DAILY, mergeVisitorSketches } from './merge/visitor-sketches.writer';
export {
  PAGE_VISITOR_UPDATES,
  appendVisitorUpdates,
  takeVisitorUpdates,
  groupByKey,
} from './merge/visitor-updates.store';
export {
  encodeVisitorUpdates,
  decodeVisitorUpdates,
  type OwnedVisitorUpdates,
  type VisitorUpdates,
} from './merge/visitor-updates.codec';
export { PageViewsQuery, type PageViewsOfDay, type TopPages } from './read/page-views.query';
