import { defineConfig, enumVar } from '@lib/config';
import { z } from 'zod';

/** Log verbosity. */
export const observabilityConfig = defineConfig(
  'observability',
  z.object({
    LOG_LEVEL: enumVar(['debug', 'info', 'warn', 'error'] as const).default('info'),
  }),
);
