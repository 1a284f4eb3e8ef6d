/**
 * `npm start` (the built launcher): all four apps in one process on ports 3000-3003 with the
 * embedded defaults, ready within 30 s, and a clean exit on Ctrl-C.
 */
import { waitFor } from '@test/support';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const LAUNCHER = 'dist/launcher/start-all.js';
const PORTS = {
  ingest: 3000,
  aggregator: 3001,
  'log-collector': 3002,
  'pv-counter': 3003,
} as const;
const READY_WITHIN_MS = 30_000;
const EXIT_WITHIN_MS = 10_000;

/** Variables of the outer environment that would change what the launcher does. */
const APP_VARIABLES = [
  'HOST',
  'PORT',
  'API_KEYS',
  'LOG_LEVEL',
  'BROKER',
  'DATABASE_URL',
  'DATA_DIR',
];

/** Resolves when nothing listens on 127.0.0.1:`port`, rejects naming the port otherwise. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `port ${port} is not free (${error.code}): the launcher test needs ports 3000-3003; ` +
            'stop whatever listens there (e.g. a running `npm start`) and run the test again',
        ),
      ),
    );
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function readyStatus(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/health/ready`, {
    signal: AbortSignal.timeout(2_000),
  });
  await response.arrayBuffer();
  return response.status;
}

describe('launcher (npm start)', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    if (!existsSync(join(ROOT, LAUNCHER))) {
      throw new Error(`${LAUNCHER} is missing: run \`npm run build\` first (npm test does)`);
    }
    for (const port of Object.values(PORTS)) await assertPortFree(port);
    dataDir = await mkdtemp(join(tmpdir(), 'ep-launcher-'));
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts all four apps ready within 30 s and exits 0 within 10 s of SIGINT', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
    for (const name of APP_VARIABLES.filter((n) => n !== 'DATA_DIR')) delete env[name];
    const launcher = spawn(process.execPath, ['-r', './scripts/register-paths.js', LAUNCHER], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = launcher;
    launcher.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      launcher.once('exit', (code, signal) => resolve({ code, signal })),
    );

    const started = Date.now();
    for (const [app, port] of Object.entries(PORTS)) {
      await waitFor(
        async () => {
          if (launcher.exitCode !== null)
            throw new Error(`launcher exited with ${launcher.exitCode}:\n${output}`);
          return (await readyStatus(port)) === 200;
        },
        {
          timeoutMs: Math.max(0, READY_WITHIN_MS - (Date.now() - started)),
          intervalMs: 200,
          description: `${app} ready on port ${port}`,
        },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\nlauncher output:\n${output}`);
      });
    }
    expect(Date.now() - started).toBeLessThan(READY_WITHIN_MS);
    expect(existsSync(join(dataDir, 'pglite', 'embedded.lock'))).toBe(true);

    const stopping = Date.now();
    launcher.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`launcher did not exit within ${EXIT_WITHIN_MS} ms of SIGINT:\n${output}`),
            ),
          EXIT_WITHIN_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));

    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - stopping).toBeLessThan(EXIT_WITHIN_MS);
    // A clean stop releases the embedded database and every port.
    expect(existsSync(join(dataDir, 'pglite', 'embedded.lock'))).toBe(false);
    for (const port of Object.values(PORTS)) await assertPortFree(port);
  });
});
