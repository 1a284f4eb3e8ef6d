import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, type QueryLoggingSettings } from './data-source-options';
import { resolveDatabaseTls, type DatabaseTlsSettings } from './database-tls';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { pendingMigrations, SchemaBehindError } from './pending-migrations';
import { runMigrations } from './run-migrations';

/** What an app needs to reach its database. */
export interface DatabaseSettings extends DatabaseTlsSettings {
  DATA_DIR: string;
  DATABASE_POOL_SIZE: number;
  /** Default true; false checks that nothing is pending instead of migrating. */
  MIGRATIONS_AT_STARTUP?: boolean;
}

/** An initialised, migrated DataSource and a close that also stops an embedded server it started. */
export interface OpenDatabase {
  readonly dataSource: DataSource;
  /** The migrations this call applied, oldest first (none when MIGRATIONS_AT_STARTUP=false). */
  readonly migrationsApplied: readonly string[];
  /** Set when the database is the embedded one this call started. */
  readonly embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL` (over TLS as the DATABASE_SSL_* settings say), or starts the
 * embedded database under `DATA_DIR`, and migrates it; `queryLogging` records slow queries. With
 * `MIGRATIONS_AT_STARTUP: false` it only reads which migrations are pending and throws a
 * {@link SchemaBehindError} naming them, if any.
 */
export async function openDatabase(
  settings: DatabaseSettings,
  queryLogging?: QueryLoggingSettings,
): Promise<OpenDatabase> {
  const target = resolveDatabaseTls(settings);
  const embedded = target.url
    ? undefined
    : await startEmbeddedPostgres(
        join(settings.DATA_DIR, 'pglite'),
        settings.DATABASE_POOL_SIZE + 2,
      );
  const url = target.url ?? embedded!.url;
  const dataSource = new DataSource(
    createDataSourceOptions(url, settings.DATABASE_POOL_SIZE, queryLogging, target.ssl),
  );
  let migrationsApplied: string[] = [];
  try {
    await dataSource.initialize();
    if (settings.MIGRATIONS_AT_STARTUP === false) {
      const pending = await pendingMigrations(dataSource);
      if (pending.length > 0) throw new SchemaBehindError(pending);
    } else {
      migrationsApplied = (await runMigrations(dataSource)).map((migration) => migration.name);
    }
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  let closed = false;
  return {
    dataSource,
    embedded,
    migrationsApplied,
    async close() {
      if (closed) return;
      closed = true;
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
