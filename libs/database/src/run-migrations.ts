import type { DataSource, Migration } from 'typeorm';

/** Arbitrary constant for pg_advisory_lock, so app instances starting together migrate one at a time. */
const MIGRATION_LOCK_KEY = 727_171_001;

/** Applies pending migrations under an advisory lock; returns the ones applied. */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
