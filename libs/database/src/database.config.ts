import { defineConfig, enumVar, intVar, urlVar } from '@lib/config';
import { z } from 'zod';
import { DATABASE_SSL_MODES, resolveDatabaseTls } from './database-tls';

/**
 * Where the database is: a PostgreSQL URL, or an embedded PGlite under `DATA_DIR` when unset; how
 * to talk TLS to it (libpq's modes; `sslmode` etc. may also come in the URL, see database-tls);
 * and whether the app migrates it at start-up.
 */
export const databaseConfig = defineConfig(
  'database',
  z
    .object({
      DATABASE_URL: urlVar(['postgres', 'postgresql']).optional(),
      DATA_DIR: z.string().default('./data'),
      /** Connections in the pool; the embedded server accepts exactly this many. */
      DATABASE_POOL_SIZE: intVar(1, 100).default(10),
      /** Unset: `sslmode` of DATABASE_URL, else `disable`. */
      DATABASE_SSL_MODE: enumVar(DATABASE_SSL_MODES).optional(),
      /** The CA that signed the server's certificate; unset with verify-full means Node's public CAs. */
      DATABASE_SSL_CA_FILE: z.string().optional(),
      /** A client certificate and its key, for servers that authenticate clients by certificate. */
      DATABASE_SSL_CERT_FILE: z.string().optional(),
      DATABASE_SSL_KEY_FILE: z.string().optional(),
      /**
       * `false`: the app applies no migrations at start-up (a separate step does: `npm run
       * migration:run`, the migrate service, the migration Job) and refuses to start while any
       * is pending.
       */
      MIGRATIONS_AT_STARTUP: enumVar(['true', 'false'] as const)
        .default('true')
        .transform((value) => value === 'true'),
    })
    // Throws its own ConfigError: a message about DATABASE_URL must not quote the URL's password.
    .superRefine((settings) => void resolveDatabaseTls(settings)),
);
