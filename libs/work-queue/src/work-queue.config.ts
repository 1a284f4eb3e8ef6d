import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/**
 * Work-queue tuning. `FLUSH_INTERVAL_MS` has no default here because its default differs per app
 * (docs/contract.md); WorkQueueModule.register takes the app's default.
 */
export const workQueueConfig = defineConfig(
  'work-queue',
  z
    .object({
      FLUSH_INTERVAL_MS: intVar(1, 60_000, ' ms').optional(),
      /** Buffered events (per queue) above which the queue pauses its streams. */
      WORK_QUEUE_HIGH_WATERMARK: intVar(2, 10_000_000).default(100_000),
      /** Buffered events below which a paused queue resumes its streams. */
      WORK_QUEUE_LOW_WATERMARK: intVar(1, 10_000_000).default(50_000),
      /** How long processed event ids are kept for de-duplication. */
      DEDUPE_RETENTION_HOURS: intVar(1, 24 * 365, ' hours').default(24),
    })
    .superRefine((config, ctx) => {
      if (config.WORK_QUEUE_LOW_WATERMARK >= config.WORK_QUEUE_HIGH_WATERMARK) {
        ctx.addIssue({
          code: 'custom',
          path: ['WORK_QUEUE_LOW_WATERMARK'],
          message: `expected less than WORK_QUEUE_HIGH_WATERMARK (${config.WORK_QUEUE_HIGH_WATERMARK})`,
        });
      }
    }),
);
