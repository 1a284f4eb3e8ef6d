import { randomBytes } from 'node:crypto';
import { createDatabase, dropDatabaseAt } from '../../test/support/databases';

/** A throwaway PostgreSQL database a benchmark works in. */
export interface BenchDatabase {
  readonly url: string;
  /** Drops it; a failure is reported, not thrown (the figures are already printed). */
  drop(): Promise<void>;
}

/** Creates `ep_bench_<name>_<time>_<random>` on the server of TEST_PG_ADMIN_URL (default: local, trust). */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  const adminUrl = process.env.TEST_PG_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const url = await createDatabase(
    adminUrl,
    `ep_bench_${name}_${Date.now()}_${randomBytes(2).toString('hex')}`,
  );
  return {
    url,
    drop: () =>
      dropDatabaseAt(adminUrl, url).catch((e) =>
        console.error(`drop database failed: ${String(e)}`),
      ),
  };
}
