import type { LoggerService } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueryLoggingSettings } from './data-source-options';
import { databaseRejection } from './database-rejection';
import { openDatabase, type DatabaseSettings, type OpenDatabase } from './open-database';

/** How often start-up tries again while the database rejects the TLS handshake. */
export const DATABASE_REJECTION_RETRY_MS = 5_000;

/** Where the retry loop reports, and how long it waits between attempts. */
export interface DatabaseRetryOptions {
  readonly logger: LoggerService;
  readonly retryMs?: number;
}

/**
 * {@link openDatabase} for an app's start-up: while PostgreSQL rejects the connection over TLS
 * (a wrong CA, a server without TLS, a server that insists on it), it logs one line per attempt
 * and tries again, rather than exiting and being restarted in a loop; the operator fixes the
 * certificate or the setting and the app comes up. Any other error still fails start-up.
 */
export async function openDatabaseRetrying(
  settings: DatabaseSettings,
  queryLogging: QueryLoggingSettings | undefined,
  options: DatabaseRetryOptions,
): Promise<OpenDatabase> {
  const retryMs = options.retryMs ?? DATABASE_REJECTION_RETRY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(settings, queryLogging);
    } catch (error) {
      const rejection = databaseRejection(error);
      if (!rejection) throw error;
      options.logger.warn(
        `database rejected connection attempt ${attempt}: ${rejection}; retrying in ${retryMs} ms`,
      );
      await sleep(retryMs);
    }
  }
}
