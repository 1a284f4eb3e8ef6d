/**
 * A bad configuration stops the built app before it opens anything, with one line on stderr that
 * names the variable, the value and what is expected (docs/contract.md, configuration).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const INGEST_MAIN = 'dist/apps/ingest/src/main.js';
const EXIT_WITHIN_MS = 10_000;

/** Variables of the outer environment that would change what the app sees. */
const APP_VARIABLES = [
  'HOST',
  'PORT',
  'API_KEYS',
  'LOG_LEVEL',
  'BROKER',
  'DATABASE_URL',
  'DATA_DIR',
];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built ingest app with `env` added and resolves when it exits (rejects after 10 s). */
function runIngest(env: Record<string, string>): Promise<Exit> {
  const base = { ...process.env };
  for (const name of APP_VARIABLES) delete base[name];
  const child = spawn(process.execPath, ['-r', './scripts/register-paths.js', INGEST_MAIN], {
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
        new Error(
          `ingest did not exit within ${EXIT_WITHIN_MS} ms; stdout: ${stdout}; stderr: ${stderr}`,
        ),
      );
    }, EXIT_WITHIN_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The lines of stderr, without the final newline. */
function linesOf(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

describe('start-up with a bad configuration', () => {
  beforeAll(() => {
    if (!existsSync(join(ROOT, INGEST_MAIN))) {
      throw new Error(`${INGEST_MAIN} is missing: run \`npm run build\` first (npm test does)`);
    }
  });

  it('PORT=abc exits 1 with one line naming PORT and "abc"', async () => {
    const exit = await runIngest({ PORT: 'abc' });
    expect(exit.code).toBe(1);
    const lines = linesOf(exit.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PORT');
    expect(lines[0]).toContain('"abc"');
    expect(lines[0]).toContain('expected an integer between 1 and 65535');
    expect(exit.stdout).toBe('');
  });

  it('HOST=0.0.0.0 without API_KEYS exits 1 with one line naming API_KEYS', async () => {
    const exit = await runIngest({ HOST: '0.0.0.0', PORT: '3999' });
    expect(exit.code).toBe(1);
    const lines = linesOf(exit.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('API_KEYS');
    expect(lines[0]).toContain('0.0.0.0');
    expect(lines[0]).toContain('(unset)');
    expect(exit.stdout).toBe('');
  });

  it('LOG_LEVEL=loud exits 1 with one line listing the accepted levels', async () => {
    const exit = await runIngest({ LOG_LEVEL: 'loud', PORT: '3999' });
    expect(exit.code).toBe(1);
    expect(linesOf(exit.stderr)).toEqual([
      'Invalid configuration: LOG_LEVEL="loud": expected one of debug, info, warn, error',
    ]);
  });
});
