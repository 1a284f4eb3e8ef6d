import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPOSITORY_ROOT } from './before-build';
import { metricSample } from './metrics-text';
import { cpuTimeMs } from './process-cpu';

/** The part of autocannon's result the ingest benchmark reads (autocannon ships no types). */
interface AutocannonResult {
  duration: number;
  '2xx': number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latency: { p50: number; p99: number };
}

type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>;

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

/** An HTTP server under test, running as a child process. */
export interface ServerProcess {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  /** SIGTERM (so a --cpu-prof profile is written), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  readonly label: string;
  /** Compiled entry point, relative to `root`. */
  readonly script: string;
  /** Where the build is: the repository (default) or an earlier commit's worktree (BENCH_BEFORE). */
  readonly root?: string;
  readonly env: Record<string, string>;
  /** Path answering 200 once the server can publish. */
  readonly readyPath: string;
  /** Write a V8 CPU profile here on exit. */
  readonly cpuProfDir?: string;
  /** Give up waiting for `readyPath` after this long (default 60 s). */
  readonly readyWithinMs?: number;
}

/** Starts a server as `node -r ./scripts/register-paths.js <script>` in `root` and waits until it is ready. */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const port = options.env.PORT;
  const args = ['-r', './scripts/register-paths.js', options.script];
  if (options.cpuProfDir) args.unshift('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  const child = spawn(process.execPath, args, {
    cwd: options.root ?? REPOSITORY_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const readyWithinMs = options.readyWithinMs ?? 60_000;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (gone) throw new Error(`${options.label} exited during start-up`);
    const ok = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${options.label} not ready on ${url}${options.readyPath} within ${readyWithinMs / 1000} s`,
      );
    }
    await sleep(200);
  }
  return {
    label: options.label,
    url,
    pid: child.pid!,
    async stop() {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One load run's figures. */
export interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly eventsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers other than 2xx, connection errors and timeouts: must be 0 for the figures to count. */
  readonly failures: number;
  /**
   * CPU time the server process used per answered request, in ms (Linux; NaN elsewhere). Less
   * sensitive to a busy shared machine than the rate: what a request costs, not how fast it went.
   */
  readonly cpuMsPerRequest: number;
  /**
   * The share (0–1) of the run's accepted events the server wrote to its spool instead of the
   * broker (from its `spool_events_spooled_total`); undefined for a server without that metric.
   */
  readonly spooledShare?: number;
}

/** The server's `spool_events_spooled_total{spool="ingest"}`, or undefined when it has none. */
async function spooledTotal(server: ServerProcess): Promise<number | undefined> {
  const text = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(5_000) })
    .then((r) => (r.ok ? r.text() : ''))
    .catch(() => '');
  return text.includes('spool_events_spooled_total')
    ? metricSample(text, 'spool_events_spooled_total', 'spool="ingest"')
    : undefined;
}

/**
 * Loads `POST <url>/v1/page-views` with autocannon (`connections` keep-alive connections, each
 * with one request at a time) for `seconds`, with the same body every time.
 */
export async function loadPageViews(
  server: ServerProcess,
  events: ReadonlyArray<Record<string, unknown>>,
  seconds: number,
  connections = 50,
): Promise<LoadFigures> {
  const body = JSON.stringify(events.length === 1 ? events[0] : events);
  const spooledBefore = await spooledTotal(server);
  const cpuBefore = cpuTimeMs(server.pid);
  const result = await autocannon({
    url: `${server.url}/v1/page-views`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
  });
  const cpuMs = cpuTimeMs(server.pid) - cpuBefore;
  const spooledAfter = await spooledTotal(server);
  const requestsPerSecond = result['2xx'] / result.duration;
  return {
    requestsPerSecond,
    eventsPerSecond: requestsPerSecond * events.length,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: cpuMs / Math.max(1, result['2xx']),
    spooledShare:
      spooledBefore === undefined || spooledAfter === undefined
        ? undefined
        : (spooledAfter - spooledBefore) / Math.max(1, result['2xx'] * events.length),
  };
}
