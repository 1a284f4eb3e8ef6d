export { SketchesModule } from './sketches.module';
export { VisitorSketchMerger, ROWS_PER_MERGE } from './visitor-sketch-merger';
export { sketchMergeConfig } from './sketch-merge.config';
export { PAGE_VISITORS_DAILY, mergeVisitorSketches } from './visitor-sketches.writer';
export {
  PAGE_VISITOR_UPDATES,
  appendVisitorUpdates,
  takeVisitorUpdates,
  groupByKey,
} from './visitor-updates.store';
export {
  encodeVisitorUpdates,
  decodeVisitorUpdates,
  type OwnedVisitorUpdates,
  type VisitorUpdates,
} from './visitor-updates.codec';
