/**
 * The embedded database (PGlite behind a socket server, under DATA_DIR): the same migrations as
 * PostgreSQL, durable across restarts, a pool of concurrent transactions, one process per dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from './embedded-postgres';
import { openDatabase, type OpenDatabase } from './open-database';
import { ALL_MIGRATIONS } from './migrations';

// PGlite loads Node built-ins with `import()`, which jest's module sandbox only allows under
// --experimental-vm-modules. Load the real packages with Node's own loader instead.
jest.mock('@electric-sql/pglite', () =>
  process.getBuiltinModule('node:module').createRequire(__filename)('@electric-sql/pglite'),
);
jest.mock('@electric-sql/pglite-socket', () =>
  process.getBuiltinModule('node:module').createRequire(__filename)('@electric-sql/pglite-socket'),
);

/** Every migration, in order: the list grows as features land. */
const MIGRATIONS = ALL_MIGRATIONS.map((migration) => ({ name: new migration().name }));
const POOL_SIZE = 8;

describe('openDatabase without DATABASE_URL (embedded)', () => {
  let dataDir: string;
  let database: OpenDatabase | undefined;

  const open = async () =>
    (database = await openDatabase({ DATA_DIR: dataDir, DATABASE_POOL_SIZE: POOL_SIZE }));

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-embedded-'));
  });

  afterEach(async () => {
    await database?.close();
    database = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts PGlite under DATA_DIR and applies the same migrations', async () => {
    const { dataSource, embedded } = await open();

    expect(embedded).toBeDefined();
    expect(embedded!.dataDir).toBe(join(dataDir, 'pglite'));
    expect(embedded!.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(await dataSource.query('SELECT name FROM schema_migrations ORDER BY id')).toEqual(
      MIGRATIONS,
    );
    const [offsets] = await dataSource.query(
      "SELECT reloptions FROM pg_class WHERE relname = 'consumer_offsets' AND relkind = 'r'",
    );
    expect(offsets.reloptions).toContain('fillfactor=70');
    expect(
      await dataSource.query("SELECT to_regclass('dedupe_ids') IS NOT NULL AS present"),
    ).toEqual([{ present: true }]);
    expect(await readFile(join(dataDir, 'pglite', 'embedded.lock'), 'utf8')).toBe(
      String(process.pid),
    );
  });

  it('keeps the data across close and reopen, migrating nothing twice', async () => {
    const first = await open();
    await first.dataSource.query(
      "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ('pv-counter', 'page-views', 3, 1234)",
    );
    await first.close();
    expect(existsSync(join(dataDir, 'pglite', 'embedded.lock'))).toBe(false);

    const second = await open();
    expect(
      await second.dataSource.query(
        'SELECT group_id, topic, partition, next_offset FROM consumer_offsets',
      ),
    ).toEqual([{ group_id: 'pv-counter', topic: 'page-views', partition: 3, next_offset: '1234' }]);
    expect(await second.dataSource.query('SELECT name FROM schema_migrations ORDER BY id')).toEqual(
      MIGRATIONS,
    );
  });

  it(`commits ${POOL_SIZE} concurrent transactions through the pool, and a rolled-back one leaves nothing`, async () => {
    const { dataSource } = await open();

    await Promise.all(
      Array.from({ length: POOL_SIZE }, (_, partition) =>
        dataSource.transaction(async (manager) => {
          await manager.query(
            "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ('g', 't', $1, 0)",
            [partition],
          );
          await manager.query('SELECT pg_sleep(0.01)');
          await manager.query(
            // A key dated 1970: the default partition takes it.
            "INSERT INTO dedupe_ids (key) VALUES (lpad(to_hex($1::int), 32, '0')::uuid)",
            [partition],
          );
          await manager.query(
            "UPDATE consumer_offsets SET next_offset = 100 + partition WHERE group_id = 'g' AND partition = $1",
            [partition],
          );
        }),
      ),
    );
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(
          "INSERT INTO dedupe_ids (key) VALUES ('ffffffff-ffff-7fff-bfff-ffffffffffff')",
        );
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');

    const offsets = await dataSource.query(
      'SELECT partition, next_offset FROM consumer_offsets ORDER BY partition',
    );
    expect(offsets).toEqual(
      Array.from({ length: POOL_SIZE }, (_, partition) => ({
        partition,
        next_offset: String(100 + partition),
      })),
    );
    const keys = await dataSource.query('SELECT key FROM dedupe_ids ORDER BY key');
    expect(keys.map((k: { key: string }) => k.key)).toEqual(
      Array.from({ length: POOL_SIZE }, (_, i) => `00000000-0000-0000-0000-00000000000${i}`),
    );
  });
});

describe('startEmbeddedPostgres', () => {
  let dir: string;
  let holder: ChildProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ep-embedded-lock-'));
  });

  afterEach(async () => {
    if (holder && holder.exitCode === null) {
      const exited = new Promise((resolve) => holder!.once('exit', resolve));
      holder.kill('SIGKILL');
      await exited;
    }
    holder = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a dir whose lock is held by another live process, naming DATA_DIR', async () => {
    holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    const pid = holder.pid!;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'embedded.lock'), String(pid));

    const starting = startEmbeddedPostgres(dir, 2);

    await expect(starting).rejects.toThrow(/DATA_DIR/);
    await expect(starting).rejects.toThrow(`in use by process ${pid}`);
    // The other process keeps its lock.
    expect(await readFile(join(dir, 'embedded.lock'), 'utf8')).toBe(String(pid));
  });

  it('takes over a lock left behind by a process that is gone', async () => {
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    await writeFile(join(dir, 'embedded.lock'), String(gone.pid));

    const embedded = await startEmbeddedPostgres(dir, 2);
    try {
      expect(await readFile(join(dir, 'embedded.lock'), 'utf8')).toBe(String(process.pid));
    } finally {
      await embedded.stop();
    }
    expect(existsSync(join(dir, 'embedded.lock'))).toBe(false);
  });
});
