/** `npm run migration:run` (the built CLI) against a throwaway PostgreSQL database. */
import { createThrowawayDatabase, startAppProcess } from '@test/support';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { ALL_MIGRATIONS } from './migrations';

const ROOT = join(__dirname, '..', '..', '..');
const CLI = 'dist/libs/database/src/cli/migration-run.js';
const MIGRATION = 'ConsumerOffsets1795435200000';
/** Every migration, in order: the list grows as features land. */
const MIGRATIONS = ALL_MIGRATIONS.map((migration) => ({ name: new migration().name }));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(env: Record<string, string>): Promise<Exit> {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  delete base.DATA_DIR;
  const child = spawn(process.execPath, ['-r', './scripts/register-paths.js', CLI], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`migration CLI did not exit within 30 s; stdout: ${stdout}; stderr: ${stderr}`),
      );
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('migration CLI', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, CLI)))
      throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  });

  it('applies the migrations to DATABASE_URL, lists them and exits 0; a second run applies nothing', async () => {
    const url = await createThrowawayDatabase('migration_cli');

    // The apps' MIGRATIONS_AT_STARTUP=false (shared settings in compose) does not stop the CLI.
    const first = await runCli({ DATABASE_URL: url, MIGRATIONS_AT_STARTUP: 'false' });
    expect(first).toEqual({
      code: 0,
      stdout: `migrations applied: ${MIGRATIONS.map((m) => m.name).join(', ')}\n`,
      stderr: '',
    });
    expect(first.stdout).toContain(MIGRATION);
    const second = await runCli({ DATABASE_URL: url });
    expect(second).toEqual({
      code: 0,
      stdout: `migrations applied: none (the schema is up to date at ${MIGRATIONS[MIGRATIONS.length - 1].name})\n`,
      stderr: '',
    });

    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT name FROM schema_migrations ORDER BY id');
      expect(rows).toEqual(MIGRATIONS);
    } finally {
      await client.end();
    }
  });

  it('exits 1 with one line for a DATABASE_URL that is not PostgreSQL', async () => {
    const exit = await runCli({ DATABASE_URL: 'mysql://x' });
    expect(exit.code).toBe(1);
    expect(exit.stderr.trimEnd().split('\n')).toEqual([
      'Invalid configuration: DATABASE_URL="mysql://x": expected a URL starting with postgres:// or postgresql://',
    ]);
  });

  it('is the step before the apps: an app with MIGRATIONS_AT_STARTUP=false refuses until it ran, then starts', async () => {
    const url = await createThrowawayDatabase('migration_step');
    const env = { DATABASE_URL: url, MIGRATIONS_AT_STARTUP: 'false', BROKER: 'memory' };

    const refusal = await startAppProcess('pv-counter', { env }).then(
      async (app) => {
        await app.kill();
        return 'started';
      },
      (error: Error) => error.message,
    );
    const pending = MIGRATIONS.map((m) => m.name).join(', ');
    expect(refusal).toContain('pv-counter exited during start-up (code 1, signal null)');
    expect(refusal).toContain(
      `\nInvalid configuration: MIGRATIONS_AT_STARTUP="false": the database schema is behind this version: ` +
        `${MIGRATIONS.length} pending migration(s) (${pending}); apply them with \`npm run migration:run\``,
    );

    expect((await runCli({ DATABASE_URL: url })).code).toBe(0);
    const app = await startAppProcess('pv-counter', { env });
    try {
      const ready = await fetch(`${app.url}/health/ready`);
      expect({ status: ready.status, body: await ready.json() }).toMatchObject({
        status: 200,
        body: { status: 'ok' },
      });
    } finally {
      await app.stop();
    }
  }, 120_000);
});
