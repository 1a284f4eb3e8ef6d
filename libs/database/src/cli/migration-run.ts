/**
 * `npm run migration:run`: applies pending migrations to `DATABASE_URL`, or to the embedded
 * database under `DATA_DIR` when it is unset, using the same options object as the apps.
 */
import { isConfigError } from '@lib/config';
import { databaseConfig } from '../database.config';
import { databaseRejection } from '../database-rejection';
import { openDatabase } from '../open-database';

async function main(): Promise<void> {
  const config = databaseConfig.load(process.env);
  const database = await openDatabase(config);
  const applied = await database.dataSource.query('SELECT name FROM schema_migrations ORDER BY id');
  console.log(
    `migrations applied: ${applied.map((row: { name: string }) => row.name).join(', ') || 'none'}`,
  );
  await database.close();
}

main().catch((error) => {
  // A TLS rejection in one line (`TLS: certificate verify failed (…)`); anything else in full.
  console.error(isConfigError(error) ? error.message : (databaseRejection(error) ?? error));
  process.exit(1);
});
