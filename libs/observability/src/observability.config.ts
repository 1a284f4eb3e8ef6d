import { defineConfig, enumVar, intVar } from '@lib/config';
import { z } from 'zod';

/** Log verbosity and format, the slow-query threshold and whether log records are kept for shipping. */
export const observabilityConfig = defineConfig(
  'observability',
  z.object({
    LOG_LEVEL: enumVar(['debug', 'info', 'warn', 'error'] as const).default('info'),
    /** `auto`: human-readable on a terminal unless NODE_ENV=production, JSON lines otherwise. */
    LOG_FORMAT: enumVar(['auto', 'pretty', 'json'] as const).default('auto'),
    /** Queries slower than this many ms are logged and recorded as `query` log records. */
    SLOW_QUERY_MS: intVar(1, 600_000, ' ms').default(200),
    /** `false` keeps request, error and query records out of the log sink (stdout lines stay). */
    LOG_SHIP: enumVar(['true', 'false'] as const)
      .default('true')
      .transform((value) => value === 'true'),
    /**
     * Successful requests faster than SLOW_REQUEST_MS and without a client `x-request-id` are
     * shipped as one summary record per route and status every this many ms; `0` ships each.
     */
    LOG_REQUEST_SUMMARY_MS: intVar(0, 3_600_000, ' ms').default(10_000),
    /** Requests at least this slow always get a request record of their own. */
    SLOW_REQUEST_MS: intVar(1, 600_000, ' ms').default(1_000),
  }),
);
