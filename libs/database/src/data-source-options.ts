import type { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from './migrations';

/**
 * The one DataSource options object, shared by the apps and the migration CLI. Schema changes go
 * through migrations only; `synchronize` is never on.
 */
export function createDataSourceOptions(url: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    migrations: ALL_MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    entities: [],
    poolSize,
    extra: {
      // Fail a connection attempt quickly so readiness and flush retries notice an outage.
      connectionTimeoutMillis: 5_000,
      application_name: 'event-pipeline',
    },
  };
}
