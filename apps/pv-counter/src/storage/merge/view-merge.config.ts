import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** pv-counter's merge of flushed views into `page_views_daily`. */
export const viewMergeConfig = defineConfig(
  'view-merge',
  z.object({
    /**
     * How often the views flushes leave in `page_view_updates` are added to `page_views_daily`.
     * Views are readable as soon as their flush commits whatever this is; longer means fewer row
     * versions of the counting table (one per page seen per interval) and more waiting rows for
     * each read of the day to add up.
     */
    VIEW_MERGE_INTERVAL_MS: intVar(10, 600_000, ' ms').default(10_000),
  }),
);
