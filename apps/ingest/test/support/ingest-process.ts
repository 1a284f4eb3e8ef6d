import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@test/support';
import { freePort } from './http';

const ROOT = join(__dirname, '..', '..', '..', '..');
const INGEST_MAIN = 'dist/apps/ingest/src/main.js';
/** Output kept for diagnostics; older text is dropped. */
const KEEP_OUTPUT_CHARS = 64 * 1024;

/** Variables of the outer environment that would change what the app sees. */
const APP_VARIABLES = [
  'HOST',
  'PORT',
  'API_KEYS',
  'LOG_LEVEL',
  'BROKER',
  'KAFKA_BROKERS',
  'RABBITMQ_URL',
  'DATABASE_URL',
  'DATA_DIR',
];

/** The built ingest app running as a child process. */
export interface IngestProcess {
  readonly url: string;
  readonly pid: number;
  /** Resolves with the exit code or signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  /** Sends `signal` and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns the built app (`dist/apps/ingest/src/main.js`, as `npm run start:ingest` runs it) with
 * `env` over a clean environment, on a free port, and resolves once `/health/live` answers.
 * A real process, so that SIGKILL really loses its memory and only the spool on disk survives.
 */
export async function spawnIngest(
  env: Record<string, string>,
  liveWithinMs = 60_000,
): Promise<IngestProcess> {
  if (!existsSync(join(ROOT, INGEST_MAIN))) {
    throw new Error(`${INGEST_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  }
  const port = await freePort();
  const base = { ...process.env };
  for (const name of APP_VARIABLES) delete base[name];
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', './scripts/register-paths.js', INGEST_MAIN],
    {
      cwd: ROOT,
      env: { ...base, LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '0', ...env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const process_: IngestProcess = {
    url,
    pid: child.pid!,
    exited,
    output: () => output,
    async kill(signal) {
      if (!done) child.kill(signal);
      await exited;
    },
  };
  // An app that exits during start-up (a bad variable, a locked spool) fails at once, not after the timeout.
  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`ingest exited during start-up (code ${code}, signal ${signal})`);
  });
  try {
    await Promise.race([
      exitedEarly,
      waitFor(
        async () => (await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(2_000) })).ok,
        {
          timeoutMs: liveWithinMs,
          intervalMs: 100,
          description: `ingest (pid ${child.pid}) answering /health/live`,
        },
      ),
    ]);
  } catch (error) {
    await process_.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ingest output ---\n${output}`);
  } finally {
    exitedEarly.catch(() => undefined); // the process exits later, by the test's hand
  }
  return process_;
}
