import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** How long `npm run spool:drain` waits for the broker to take every spooled event. */
export const spoolDrainConfig = defineConfig(
  'spool drain',
  z.object({
    /**
     * The whole drain, every spool: past it the command stops replaying (the rest stays on
     * disk, in order) and exits 1.
     */
    SPOOL_DRAIN_TIMEOUT_MS: intVar(1_000, 86_400_000, ' ms').default(300_000),
  }),
);
