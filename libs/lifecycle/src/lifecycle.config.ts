import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** Shutdown timing. */
export const lifecycleConfig = defineConfig(
  'lifecycle',
  z.object({
    /** How long readiness reports 503 before intake stops, so load balancers stop routing here. */
    SHUTDOWN_GRACE_MS: intVar(0, 60_000, ' ms').default(300),
    /** After this long the shutdown gives up on what is unfinished and names it in the log. */
    SHUTDOWN_TIMEOUT_MS: intVar(1_000, 600_000, ' ms').default(20_000),
  }),
);
