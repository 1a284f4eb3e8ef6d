/** `npm run migration:run` (the built CLI) against a throwaway PostgreSQL database. */
import { createThrowawayDatabase } from '@test/support';
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

  it('applies the migrations to DATABASE_URL, lists them and exits 0; a second run changes nothing', async () => {
    const url = await createThrowawayDatabase('migration_cli');

    const first = await runCli({ DATABASE_URL: url });
    expect(first).toEqual({ code: 0, stdout: expect.stringContaining(MIGRATION), stderr: '' });
    const second = await runCli({ DATABASE_URL: url });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(MIGRATION);

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
});
