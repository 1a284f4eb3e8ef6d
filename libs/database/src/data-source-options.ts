import type { ConnectionOptions } from 'node:tls';
import type { DataSourceOptions, Logger } from 'typeorm';
import { ALL_MIGRATIONS } from './migrations';

/** TypeORM's logger and the threshold (ms) above which it is told about a slow query. */
export interface QueryLoggingSettings {
  readonly logger: Logger;
  readonly maxQueryExecutionTime: number;
}

/**
 * The one DataSource options object, shared by the apps and the migration CLI. Schema changes go
 * through migrations only; `synchronize` is never on. `queryLogging` (the app's slow-query
 * logger, from @lib/observability) is optional so the migration CLI needs no app around it;
 * `ssl` comes from resolveDatabaseTls, with `url` stripped of its TLS parameters.
 */
export function createDataSourceOptions(
  url: string,
  poolSize = 10,
  queryLogging?: QueryLoggingSettings,
  ssl: false | ConnectionOptions = false,
): DataSourceOptions {
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
    ...(queryLogging && {
      logger: queryLogging.logger,
      maxQueryExecutionTime: queryLogging.maxQueryExecutionTime,
    }),
    extra: {
      // Fail a connection attempt quickly so readiness and flush retries notice an outage.
      connectionTimeoutMillis: 5_000,
      application_name: 'event-pipeline',
      // Here rather than in TypeORM's `ssl` (typed as server options); always explicit, so pg
      // never falls back to PGSSLMODE from the environment.
      ssl,
    },
  };
}
