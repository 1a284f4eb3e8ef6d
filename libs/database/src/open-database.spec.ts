/**
 * openDatabase against the machine's PostgreSQL: migrations are applied once, recorded in
 * `schema_migrations`, and instances that start together take turns (advisory lock).
 */
import { createThrowawayDatabase } from '@test/support';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { openDatabase, type OpenDatabase } from './open-database';
import { runMigrations } from './run-migrations';
import { ALL_MIGRATIONS } from './migrations';

/** Every migration, in order: the list grows as features land. */
const MIGRATIONS = ALL_MIGRATIONS.map((migration) => ({ name: new migration().name }));

/** Runs one query on its own connection, independent of the DataSource under test. */
async function query<T extends object>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('openDatabase with DATABASE_URL', () => {
  let dataDir: string;
  const opened: OpenDatabase[] = [];

  async function open(url: string): Promise<OpenDatabase> {
    const database = await openDatabase({
      DATABASE_URL: url,
      DATA_DIR: dataDir,
      DATABASE_POOL_SIZE: 4,
    });
    opened.push(database);
    return database;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-open-database-'));
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies the ConsumerOffsets migration to a fresh database', async () => {
    const url = await createThrowawayDatabase('open_fresh');
    const database = await open(url);

    expect(database.embedded).toBeUndefined();
    expect(database.dataSource.isInitialized).toBe(true);
    expect(await query(url, 'SELECT name FROM schema_migrations ORDER BY id')).toEqual(MIGRATIONS);
    const tables = await query<{ table_name: string }>(
      url,
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name IN ('consumer_offsets', 'dedupe_ids', 'processed_events')
        ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['consumer_offsets', 'dedupe_ids']);
    const [offsets] = await query<{ reloptions: string[] }>(
      url,
      "SELECT reloptions FROM pg_class WHERE relname = 'consumer_offsets' AND relkind = 'r'",
    );
    expect(offsets.reloptions).toContain('fillfactor=70');
    const [dedupe] = await query<{ kind: string; partitions: number }>(
      url,
      `SELECT c.relkind AS kind, (SELECT count(*)::int FROM pg_inherits WHERE inhparent = c.oid) AS partitions
         FROM pg_class c WHERE c.relname = 'dedupe_ids'`,
    );
    // Partitioned, with the default partition and the hours around now (previous generation to 6 h ahead).
    expect(dedupe.kind).toBe('p');
    expect(dedupe.partitions).toBeGreaterThanOrEqual(1 + 13);
  });

  it('applies nothing new when opened again', async () => {
    const url = await createThrowawayDatabase('open_twice');
    const first = await open(url);
    await first.close();

    const second = await open(url);
    expect(await runMigrations(second.dataSource)).toEqual([]);
    expect(await query(url, 'SELECT name FROM schema_migrations ORDER BY id')).toEqual(MIGRATIONS);
  });

  it('lets two instances starting at the same time both succeed, migrating once', async () => {
    const url = await createThrowawayDatabase('open_concurrent');

    const [a, b] = await Promise.all([open(url), open(url)]);

    expect(a.dataSource.isInitialized).toBe(true);
    expect(b.dataSource.isInitialized).toBe(true);
    expect(await query(url, 'SELECT name FROM schema_migrations ORDER BY id')).toEqual(MIGRATIONS);
    // Both can use the schema.
    await a.dataSource.query(
      "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ('g', 't', 0, 42)",
    );
    expect(await b.dataSource.query('SELECT next_offset FROM consumer_offsets')).toEqual([
      { next_offset: '42' },
    ]);
  });

  it('releases the connections on close, and close is idempotent', async () => {
    const url = await createThrowawayDatabase('open_close');
    const database = await open(url);
    await database.close();
    await database.close();

    expect(database.dataSource.isInitialized).toBe(false);
    const sessions = await query<{ count: string }>(
      url,
      'SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    expect(sessions).toEqual([{ count: '0' }]);
  });

  it('fails with the driver error when the server cannot be reached', async () => {
    await expect(
      openDatabase({
        DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
        DATA_DIR: dataDir,
        DATABASE_POOL_SIZE: 1,
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
