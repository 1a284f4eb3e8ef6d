import { defineConfig, intVar } from '@lib/config';
import { validateCronExpression } from 'cron';
import { z } from 'zod';

/** Every five minutes. */
export const DEFAULT_POPULAR_PRODUCTS_CRON = '*/5 * * * *';

/** A cron expression as the `cron` package reads it: five fields, or six with seconds first. */
const cronVar = () =>
  z.string().superRefine((value, ctx) => {
    const fields = value.split(/\s+/).length;
    const result = validateCronExpression(value);
    if (fields < 5 || fields > 6 || !result.valid) {
      const reason = result.error instanceof Error ? `: ${result.error.message}` : '';
      ctx.addIssue({
        code: 'custom',
        message: `expected a cron expression of 5 fields (minute hour day month weekday) or 6 (seconds first)${reason}`,
      });
    }
  });

/** The popular-products export: when it runs, how many products per store, stores per page. */
export const popularProductsConfig = defineConfig(
  'popular-products',
  z.object({
    /** When the scheduled export runs (UTC). */
    POPULAR_PRODUCTS_CRON: cronVar().default(DEFAULT_POPULAR_PRODUCTS_CRON),
    /** Products per store in a snapshot. */
    POPULAR_PRODUCTS_TOP_N: intVar(1, 1_000).default(10),
    /** Stores computed, stored and published per page (one SQL query and one publish each). */
    POPULAR_PRODUCTS_PAGE_SIZE: intVar(1, 10_000).default(500),
  }),
);
