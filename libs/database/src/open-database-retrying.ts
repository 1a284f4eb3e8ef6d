import type { LoggerService } from '@nestjs/common';
import type { StartupStatus } from '@lib/lifecycle';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryLoggingSettings } from './data-source-options';
import { databaseRejection } from './database-rejection';
import { openDatabase, type DatabaseSettings, type OpenDatabase } from './open-database';

/** How often start-up tries again while the database rejects our credentials or TLS settings. */
export const DATABASE_REJECTION_RETRY_MS = 5_000;

/** Where the retry loop reports, and how long it waits between attempts. */
export interface DatabaseRetryOptions {
  readonly logger: LoggerService;
  readonly retryMs?: number;
  /** Where the wait shows on `/health/ready` before the app listens. */
  readonly startup?: StartupStatus;
}

/**
 * {@link openDatabase} for an app's start-up: while PostgreSQL rejects the connection (a wrong
 * password, a wrong CA, a server without TLS, a server that insists on it), it logs one line per
 * attempt, shows the reason on the start-up probe's readiness and tries again, rather than
 * exiting and being restarted in a loop; the operator fixes the secret or the setting and the app
 * comes up. Any other error still fails start-up.
 */
export async function openDatabaseRetrying(
  settings: DatabaseSettings,
  queryLogging: QueryLoggingSettings | undefined,
  options: DatabaseRetryOptions,
): Promise<OpenDatabase> {
  const retryMs = options.retryMs ?? DATABASE_REJECTION_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const database = await openDatabase(settings, queryLogging);
      options.startup?.ready('database');
      return database;
    } catch (error) {
      const rejection = databaseRejection(error);
      if (!rejection) throw error;
      options.startup?.waiting('database', rejection);
      options.logger.warn(
        `database rejected connection attempt ${attempt}: ${rejection}; retrying in ${retryMs} ms`,
      );
      await sleep(retryMs);
    }
  }
}
