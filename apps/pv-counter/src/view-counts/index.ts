export { ViewCountsModule } from './view-counts.module';
export { ViewCountMerger, VIEW_ROWS_PER_MERGE, VIEW_PAGES_PER_MERGE } from './view-count-merger';
export { viewMergeConfig } from './view-merge.config';
export {
  PAGE_VIEWS_DAILY,
  PAGE_VIEW_UPDATES,
  PAGE_VIEWS_LIVE,
  appendViewUpdates,
  mergeViewUpdates,
  type ViewUpdate,
  type ViewMergeResult,
} from './view-updates.store';
