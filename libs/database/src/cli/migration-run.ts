/**
 * `npm run migration:run`: applies pending migrations to `DATABASE_URL`, or to the embedded
 * database under `DATA_DIR` when it is unset, using the same options object as the apps, and
 * exits 0; run again, it applies nothing. MIGRATIONS_AT_STARTUP does not apply here: migrating is
 * this command's whole job (the migrate service and the migration Job share the apps' settings).
 */
import { isStartupRefusal } from '@lib/config';
import { databaseConfig } from '../database.config';
import { databaseRejection } from '../database-rejection';
import { openDatabase } from '../open-database';
import { KNOWN_MIGRATIONS } from '../pending-migrations';

async function main(): Promise<void> {
  const config = databaseConfig.load(process.env);
  const database = await openDatabase({ ...config, MIGRATIONS_AT_STARTUP: true });
  const applied = database.migrationsApplied;
  const latest = KNOWN_MIGRATIONS[KNOWN_MIGRATIONS.length - 1];
  console.log(
    applied.length > 0
      ? `migrations applied: ${applied.join(', ')}`
      : `migrations applied: none (the schema is up to date at ${latest})`,
  );
  await database.close();
}

main().catch((error) => {
  // A TLS rejection in one line (`TLS: certificate verify failed (…)`); anything else in full.
  console.error(isStartupRefusal(error) ? error.message : (databaseRejection(error) ?? error));
  process.exit(1);
});
