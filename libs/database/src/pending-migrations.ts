import { ConfigError } from '@lib/config';
import type { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from './migrations';

/** The names of the project's migrations, oldest first, as TypeORM records them. */
export const KNOWN_MIGRATIONS: readonly string[] = ALL_MIGRATIONS.map(
  (migration) => new migration().name ?? migration.name,
);

/**
 * The known migrations that the database has not applied yet, oldest first. A read of TypeORM's
 * migrations table only: no lock, no DDL. Migrations recorded there that this code does not know
 * (a newer version migrated first, as in a rolling upgrade) are not its concern.
 */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  const table = dataSource.options.migrationsTableName ?? 'migrations';
  const [{ present }] = await dataSource.query('SELECT to_regclass($1) IS NOT NULL AS present', [
    table,
  ]);
  if (!present) return [...KNOWN_MIGRATIONS];
  const rows: Array<{ name: string }> = await dataSource.query(
    `SELECT name FROM "${table.replace(/"/g, '""')}"`,
  );
  const applied = new Set(rows.map((row) => row.name));
  return KNOWN_MIGRATIONS.filter((name) => !applied.has(name));
}

/**
 * Start-up with MIGRATIONS_AT_STARTUP=false found the schema behind this code. A ConfigError, so
 * that the app prints it as its one start-up line and exits 1.
 */
export class SchemaBehindError extends ConfigError {
  constructor(readonly pending: readonly string[]) {
    super(
      'MIGRATIONS_AT_STARTUP',
      'false',
      `the database schema is behind this version: ${pending.length} pending migration(s) ` +
        `(${pending.join(', ')}); apply them with \`npm run migration:run\` (the migrate service ` +
        'in compose, the migration Job on Kubernetes) before starting the app, or set ' +
        'MIGRATIONS_AT_STARTUP=true',
    );
  }
}
