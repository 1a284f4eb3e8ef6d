import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** Live quote push: `PUSH_INTERVAL_MS` (docs/contract.md), how often changed quotes go to SSE subscribers. */
export const pushConfig = defineConfig(
  'push',
  z.object({
    PUSH_INTERVAL_MS: intVar(1, 60_000, ' ms').default(10),
  }),
);
