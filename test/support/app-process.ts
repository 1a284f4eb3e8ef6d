import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { waitFor } from './services';

/** The repository root, from the source tree and from dist/ alike. */
function repositoryRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'register-paths.js'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`scripts/register-paths.js not found above ${__dirname}`);
  }
}
/** Output kept for failure messages; older text is dropped. */
const KEEP_OUTPUT_CHARS = 64 * 1024;

/** Variables of the outer environment that would change what the app sees (docs/contract.md). */
const APP_VARIABLES = [
  'HOST',
  'PORT',
  'API_KEYS',
  'ADMIN_API_KEYS',
  'LOG_LEVEL',
  'BROKER',
  'KAFKA_BROKERS',
  'RABBITMQ_URL',
  'DATABASE_URL',
  'DATA_DIR',
  'MIGRATIONS_AT_STARTUP',
  'FLUSH_INTERVAL_MS',
  'PUSH_INTERVAL_MS',
];

/** How a child process ended. */
export interface AppExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startAppProcess}. */
export interface AppProcessOptions {
  /** Variables set over a clean environment (the contract's variables of the outer one are removed). */
  readonly env?: Record<string, string>;
  /** Port to listen on; a free one by default. Pass the previous port to restart "the same" app. */
  readonly port?: number;
  /** Path polled until it answers 200: `/health/ready` by default; `/health/live` for an app started while a dependency is down. */
  readonly readyPath?: string;
  /** Give up waiting for `readyPath` after this long (default 90 s: the machine is shared). */
  readonly readyWithinMs?: number;
}

/** A built app running as a child process. */
export interface AppProcess {
  /** The app's directory name under `apps/`, e.g. `pv-counter`. */
  readonly app: string;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<AppExit>;
  /** True until the process has exited. */
  running(): boolean;
  /** The last 64 KiB of stdout and stderr, for failure messages. */
  output(): string;
  /** SIGKILL: the process loses its memory at once; resolves once it has exited. */
  kill(): Promise<AppExit>;
  /**
   * SIGTERM, then waits for a graceful exit; SIGKILLs and rejects (with the output) after `timeoutMs`.
   * An app exits with code 0 once its shutdown finished, 1 when a step failed or hung.
   */
  stop(timeoutMs?: number): Promise<AppExit>;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned, so it may rarely be taken). */
export async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Spawns the built app `dist/apps/<app>/src/main.js` (as `npm run start:<app>` runs it: with
 * `-r ./scripts/register-paths.js`, cwd the repository root) and resolves once `readyPath`
 * answers 200. A real process, so that SIGKILL really loses everything not yet durable.
 * An app that exits during start-up fails at once with its output.
 */
export async function startAppProcess(
  app: string,
  options: AppProcessOptions = {},
): Promise<AppProcess> {
  const root = repositoryRoot();
  const main = `dist/apps/${app}/src/main.js`;
  if (!existsSync(join(root, main))) {
    throw new Error(`${main} is missing: run \`npm run build\` first (npm test does)`);
  }
  const port = options.port ?? (await freeTcpPort());
  const readyPath = options.readyPath ?? '/health/ready';
  const base = { ...process.env };
  for (const name of APP_VARIABLES) delete base[name];
  // Never the default ./data of the repository: concurrent tests would share its spools (each
  // is locked by one process). A directory we make is removed once the process has exited.
  const ownDataDir =
    options.env?.DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), `ep-${app}-`)) : undefined;
  // APP_CPU_PROF_DIR=<dir>: every spawned app writes a V8 CPU profile there when it exits (profiling a bench).
  const profile = process.env.APP_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.APP_CPU_PROF_DIR}`]
    : [];
  const child = spawn(process.execPath, [...profile, '-r', './scripts/register-paths.js', main], {
    cwd: root,
    env: {
      ...base,
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '0',
      ...(ownDataDir === undefined ? {} : { DATA_DIR: ownDataDir }),
      ...options.env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-KEEP_OUTPUT_CHARS);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let done = false;
  const exited = new Promise<AppExit>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      if (ownDataDir !== undefined) rmSync(ownDataDir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const handle: AppProcess = {
    app,
    url,
    port,
    pid: child.pid!,
    exited,
    running: () => !done,
    output: () => output,
    async kill() {
      if (!done) child.kill('SIGKILL');
      return exited;
    },
    async stop(timeoutMs = 30_000) {
      if (!done) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      const result = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (result !== 'late') return result;
      await handle.kill();
      throw new Error(
        `${app} (pid ${child.pid}) did not exit within ${timeoutMs} ms of SIGTERM\n` +
          `--- ${app} output ---\n${output}`,
      );
    },
  };
  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`${app} exited during start-up (code ${code}, signal ${signal})`);
  });
  try {
    await Promise.race([
      exitedEarly,
      waitFor(
        async () =>
          (await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) })).status ===
          200,
        {
          timeoutMs: options.readyWithinMs ?? 90_000,
          intervalMs: 100,
          description: `${app} (pid ${child.pid}) answering ${readyPath} with 200`,
        },
      ),
    ]);
  } catch (error) {
    await handle.kill();
    throw new Error(`${(error as Error).message}\n--- ${app} output ---\n${output}`);
  } finally {
    exitedEarly.catch(() => undefined); // the process exits later, by the test's hand
  }
  return handle;
}
