/**
 * MIGRATIONS_AT_STARTUP=false against PostgreSQL (a throwaway database per test): an app whose
 * schema is behind refuses to start with one line naming the pending migrations; an up-to-date
 * one opens without migrating or waiting for the migration lock.
 */
import { createThrowawayDatabase } from '@test/support';
import { Client } from 'pg';
import { databaseConfig } from './database.config';
import { openDatabase, type OpenDatabase } from './open-database';
import { KNOWN_MIGRATIONS, pendingMigrations, SchemaBehindError } from './pending-migrations';

/** run-migrations.ts's advisory lock key. */
const MIGRATION_LOCK_KEY = 727_171_001;

describe('MIGRATIONS_AT_STARTUP', () => {
  const opened: OpenDatabase[] = [];
  const clients: Client[] = [];

  const open = async (url: string, atStartup: boolean) => {
    const database = await openDatabase({
      DATABASE_URL: url,
      DATA_DIR: '/nonexistent',
      DATABASE_POOL_SIZE: 2,
      MIGRATIONS_AT_STARTUP: atStartup,
    });
    opened.push(database);
    return database;
  };
  const connect = async (url: string) => {
    const client = new Client({ connectionString: url });
    await client.connect();
    clients.push(client);
    return client;
  };

  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
    for (const client of clients.splice(0)) await client.end();
  });

  it('is true by default and reads true and false', () => {
    expect(databaseConfig.load({}).MIGRATIONS_AT_STARTUP).toBe(true);
    expect(databaseConfig.load({ MIGRATIONS_AT_STARTUP: 'false' }).MIGRATIONS_AT_STARTUP).toBe(
      false,
    );
    expect(() => databaseConfig.load({ MIGRATIONS_AT_STARTUP: 'no' })).toThrow(
      'Invalid configuration: MIGRATIONS_AT_STARTUP="no": expected one of true, false',
    );
  });

  it('off, on an empty database: refuses with one line naming every pending migration, and creates nothing', async () => {
    const url = await createThrowawayDatabase('migrations_off_empty');

    const refusal = await open(url, false).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(refusal).toBeInstanceOf(SchemaBehindError);
    const message = (refusal as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toBe(
      `Invalid configuration: MIGRATIONS_AT_STARTUP="false": the database schema is behind this version: ` +
        `${KNOWN_MIGRATIONS.length} pending migration(s) (${KNOWN_MIGRATIONS.join(', ')}); ` +
        'apply them with `npm run migration:run` (the migrate service in compose, the migration Job ' +
        'on Kubernetes) before starting the app, or set MIGRATIONS_AT_STARTUP=true',
    );
    const client = await connect(url);
    const { rows } = await client.query(
      "SELECT count(*)::int AS tables FROM pg_tables WHERE schemaname = 'public'",
    );
    expect(rows).toEqual([{ tables: 0 }]);
  });

  it('off, one migration behind: names only that one', async () => {
    const url = await createThrowawayDatabase('migrations_off_behind');
    await (await open(url, true)).close();
    const latest = KNOWN_MIGRATIONS[KNOWN_MIGRATIONS.length - 1];
    const client = await connect(url);
    await client.query('DELETE FROM schema_migrations WHERE name = $1', [latest]);

    await expect(open(url, false)).rejects.toThrow(`1 pending migration(s) (${latest});`);
  });

  it('off, up to date: opens without migrating and without waiting for the migration lock', async () => {
    const url = await createThrowawayDatabase('migrations_off_current');
    await (await open(url, true)).close();
    // Another session holds the lock migrations take: an app that asked for it would wait here.
    const holder = await connect(url);
    await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);

    const started = Date.now();
    const database = await open(url, false);

    expect(Date.now() - started).toBeLessThan(5_000);
    expect(database.migrationsApplied).toEqual([]);
    expect(await pendingMigrations(database.dataSource)).toEqual([]);
    expect(
      await database.dataSource.query('SELECT count(*)::int AS n FROM consumer_offsets'),
    ).toEqual([{ n: 0 }]);
  });

  it('on: applies the pending migrations and reports them', async () => {
    const url = await createThrowawayDatabase('migrations_on');

    const first = await open(url, true);
    expect(first.migrationsApplied).toEqual(KNOWN_MIGRATIONS);
    await first.close();
    const second = await open(url, true);
    expect(second.migrationsApplied).toEqual([]);
  });
});
