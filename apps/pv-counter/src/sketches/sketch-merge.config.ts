import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** pv-counter's merge of flushed visitors into the unique-visitor sketches. */
export const sketchMergeConfig = defineConfig(
  'sketch-merge',
  z.object({
    /**
     * How often the visitors recorded by flushes are merged into `page_visitors_daily`:
     * `uniqueVisitors` trails `views` by up to about this much. Longer means fewer, larger merges
     * (a busy page's sketch is rewritten once per merge).
     */
    SKETCH_MERGE_INTERVAL_MS: intVar(10, 600_000, ' ms').default(1_000),
  }),
);
