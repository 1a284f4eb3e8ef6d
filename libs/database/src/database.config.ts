import { defineConfig, intVar, urlVar } from '@lib/config';
import { z } from 'zod';

/** Where the database is: a PostgreSQL URL, or an embedded PGlite under `DATA_DIR` when unset. */
export const databaseConfig = defineConfig(
  'database',
  z.object({
    DATABASE_URL: urlVar(['postgres', 'postgresql']).optional(),
    DATA_DIR: z.string().default('./data'),
    /** Connections in the pool; the embedded server accepts exactly this many. */
    DATABASE_POOL_SIZE: intVar(1, 100).default(10),
  }),
);
