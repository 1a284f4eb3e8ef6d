export { DatabaseModule } from './database.module';
export { databaseConfig } from './database.config';
export { OPEN_DATABASE } from './database.constants';
export { DatabaseHealthIndicator } from './database.health';
export { createDataSourceOptions, type QueryLoggingSettings } from './data-source-options';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';
export { openDatabase, type DatabaseSettings, type OpenDatabase } from './open-database';
export { runMigrations } from './run-migrations';
