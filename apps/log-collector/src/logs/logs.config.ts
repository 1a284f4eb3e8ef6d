import { defineConfig, intVar } from '@lib/config';
import { z } from 'zod';

/** How long log-collector keeps records and how often it rolls its day partitions. */
export const logsConfig = defineConfig(
  'logs',
  z.object({
    /** Day partitions older than this many days are dropped (whole days: at least this long is kept). */
    LOG_RETENTION_DAYS: intVar(1, 3_650, ' days').default(7),
    /** Between two retention runs (each also creates the partitions of the next days). */
    LOG_RETENTION_INTERVAL_MS: intVar(1_000, 86_400_000, ' ms').default(3_600_000),
  }),
);
