import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, type QueryLoggingSettings } from './data-source-options';
import { resolveDatabaseTls, type DatabaseTlsSettings } from './database-tls';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './run-migrations';

/** What an app needs to reach its database. */
export interface DatabaseSettings extends DatabaseTlsSettings {
  DATA_DIR: string;
  DATABASE_POOL_SIZE: number;
}

/** An initialised, migrated DataSource and a close that also stops an embedded server it started. */
export interface OpenDatabase {
  readonly dataSource: DataSource;
  /** Set when the database is the embedded one this call started. */
  readonly embedded?: EmbeddedPostgres;
  close(): Promise<void>;
}

/**
 * Connects to `DATABASE_URL` (over TLS as the DATABASE_SSL_* settings say), or starts the
 * embedded database under `DATA_DIR`, and migrates it; `queryLogging` records slow queries.
 */
export async function openDatabase(
  settings: DatabaseSettings,
  queryLogging?: QueryLoggingSettings,
): Promise<OpenDatabase> {
  const target = resolveDatabaseTls(settings);
  const embedded = target.url
    ? undefined
    : await startEmbeddedPostgres(join(settings.DATA_DIR, 'pglite'), settings.DATABASE_POOL_SIZE + 2);
  const url = target.url ?? embedded!.url;
  const dataSource = new DataSource(
    createDataSourceOptions(url, settings.DATABASE_POOL_SIZE, queryLogging, target.ssl),
  );
  try {
    await dataSource.initialize();
    await runMigrations(dataSource);
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
    throw error;
  }
  let closed = false;
  return {
    dataSource,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      await dataSource.destroy();
      await embedded?.stop();
    },
  };
}
