import { afterEach, beforeEach } from '@jest/globals';
import { tmpdir } from 'node:os';
import { openDatabase, type OpenDatabase } from '@lib/database';
import type { DataSource } from 'typeorm';
import { createThrowawayDatabase } from '../../../../test/support';

/** The database of the test that is running (see {@link migratedDatabasePerTest}). */
export interface DatabasePerTest {
  readonly dataSource: DataSource;
}

/**
 * Gives every test of the calling `describe` a throwaway PostgreSQL database with every migration
 * run, opened in a `beforeEach` and closed in an `afterEach`; `beforeClose` runs first (to stop
 * what still uses it). Call it at the top of the `describe`, before `beforeEach` hooks that use it.
 */
export function migratedDatabasePerTest(
  name: string,
  options: { readonly poolSize?: number; readonly beforeClose?: () => Promise<void> } = {},
): DatabasePerTest {
  let current: OpenDatabase | undefined;
  beforeEach(async () => {
    const url = await createThrowawayDatabase(name);
    current = await openDatabase({
      DATABASE_URL: url,
      DATA_DIR: tmpdir(),
      DATABASE_POOL_SIZE: options.poolSize ?? 4,
    });
  });
  afterEach(async () => {
    await options.beforeClose?.();
    await current?.close();
    current = undefined;
  });
  return {
    get dataSource(): DataSource {
      if (current === undefined) throw new Error(`no test database: use ${name}'s inside a test`);
      return current.dataSource;
    },
  };
}
