import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** pv-counter's merge of flushed visitors into the unique-visitor sketches. */
export const sketchMergeConfig = defineConfig(
  'sketch-merge',
  z.object({
    /**
     * How often each page's visitors recorded by flushes are merged into `page_visitors_daily`
     * (one shard of the pages every tenth of it): `uniqueVisitors` trails `views` by up to about
     * this much. Shorter means more sketch rewrites (a busy page's is 16 KiB): at 1 s the merge
     * took about twice the database time of 10 s for the same views.
     */
    SKETCH_MERGE_INTERVAL_MS: intVar(10, 600_000, ' ms').default(10_000),
  }),
);
