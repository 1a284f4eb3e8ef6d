import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** pv-counter's day rebuild. */
export const rebuildConfig = defineConfig(
  'rebuild',
  z.object({
    /**
     * How long before the day's start the log is read from: Kafka finds offsets by the record's
     * publish time, and a view is published at or after it occurred unless the clocks disagree.
     */
    REBUILD_CLOCK_SKEW_MS: intVar(0, 86_400_000, ' ms').default(3_600_000),
    /** A rebuild fails when the log stops advancing towards the committed offsets for this long. */
    REBUILD_IDLE_TIMEOUT_MS: intVar(1_000, 3_600_000, ' ms').default(60_000),
  }),
);
