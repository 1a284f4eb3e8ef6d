/**
 * `npm run bench -- ingest`: how many requests per second ingest takes on Kafka, against the
 * ceiling of a bare Node http server doing the same publish.
 *
 * - ours: the built ingest app (dist/apps/ingest/src/main.js) as a child process with BROKER=kafka,
 *   NODE_ENV=production, LOG_LEVEL=warn and otherwise default settings (validation, spool and
 *   breaker, request logs shipped to app-logs as per-route summaries, LOG_REQUEST_SUMMARY_MS);
 * - baseline: bench/support/ingest-baseline-server.ts, also a child process: JSON.parse, the same
 *   validation and stamping (ingest's intakeMessages), and the same KafkaPublisher (acks=-1)
 *   behind a CoalescingPublisher.
 * Both publish to the same single-node Kafka 3.9 broker. autocannon runs in this process with 50
 * connections against each server in turn: single-event requests, then 100-event batches, ~10 s
 * each after a 10 s warm-up per server and shape (BENCH_WARM_UP_SECONDS), in BENCH_ROUNDS rounds
 * (default 1) that alternate which server goes first. The headline is single-event requests per
 * second, the best round of each. Each run also reports the server's CPU time per request (from
 * /proc), which a busy shared machine disturbs far less than the rates, and the share of events
 * it spooled instead of publishing directly (a server that tips into spooling under load pays a
 * different cost per request). With several rounds, comparisons between servers are also printed
 * from every round: the median CPU per request of each, its spread, and each round's ratio.
 *
 * BENCH_SECONDS changes the measured seconds; BENCH_SHAPES=single|batch measures one shape only;
 * BENCH_CPU_PROF=<dir> writes V8 CPU profiles of every server there (on exit);
 * BENCH_KAFKA_BROKERS uses a running broker. BENCH_TRACING=on adds `ours+otel`: the ingest app
 * with tracing on (every span sampled, exported over OTLP/HTTP to a local endpoint that discards
 * them), so that tracing's cost is printed beside ours with tracing off (its default).
 * BENCH_BEFORE=<git ref> adds `before`: the ingest app of that commit, built in a git worktree of
 * its own (bench/support/before-build.ts) and run with ours' settings, so that ours/before is
 * printed from one run (docs/benchmarks.md names the ref from before tracing).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, printHeadline, startBenchKafka } from './support';
import { benchBeforeRef, prepareBefore, type BeforeBuild } from './support/before-build';
import { benchTracing, startOtlpSink, tracingEnv, type OtlpSink } from './support/otlp-sink';
import {
  loadPageViews,
  spawnServer,
  type LoadFigures,
  type ServerProcess,
} from './support/ingest-load';
import { benchRounds } from './support/throughput-rounds';

const NAME = 'ingest';
const ROUNDS = benchRounds(1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Seconds of load per server and shape before the rounds: a server's first seconds under load cost more. */
const WARM_UP_SECONDS = Number(process.env.BENCH_WARM_UP_SECONDS ?? 10);
const CONNECTIONS = 50;

const SINGLE = [{ pageId: 'home', visitorId: 'visitor-1' }];
const BATCH = Array.from({ length: 100 }, (_, i) => ({
  pageId: `page-${i % 20}`,
  visitorId: `visitor-${i}`,
}));
const ALL_SHAPES = [
  { key: 'single', name: 'single event', events: SINGLE },
  { key: 'batch', name: '100-event batch', events: BATCH },
] as const;
/** BENCH_SHAPES=single (or batch) measures one shape only, e.g. to profile it alone. */
const SHAPES = ALL_SHAPES.filter(
  (shape) => !process.env.BENCH_SHAPES || process.env.BENCH_SHAPES.split(',').includes(shape.key),
);

/** One line of figures. */
function formatFigures(label: string, shape: string, f: LoadFigures): string {
  const failures = f.failures > 0 ? `  (${f.failures} FAILED requests: figures do not count)` : '';
  const spooled =
    f.spooledShare === undefined ? '' : `  spooled ${(100 * f.spooledShare).toFixed(1)} %`;
  const rate = (n: number, width: number) => Math.round(n).toLocaleString('en-US').padStart(width);
  return (
    `${label.padEnd(9)} ${shape.padEnd(16)} ${rate(f.requestsPerSecond, 8)} req/s ` +
    `${rate(f.eventsPerSecond, 10)} events/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  ` +
    `server CPU ${f.cpuMsPerRequest.toFixed(3)} ms/request${spooled}${failures}`
  );
}

/** The better of two runs; a run with failures never counts as better. */
function best(a: LoadFigures | undefined, b: LoadFigures): LoadFigures {
  if (!a) return b;
  if (a.failures > 0 !== b.failures > 0) return a.failures > 0 ? b : a;
  return b.requestsPerSecond > a.requestsPerSecond ? b : a;
}

/** What runs besides ours and the baseline: ours with tracing on, and an earlier commit's app. */
interface Extras {
  readonly sink?: OtlpSink;
  readonly before?: BeforeBuild;
}

/** Starts ours (the built ingest app), the baseline server and the extras, all on `brokers`. */
async function startServers(
  brokers: string,
  dataDir: string,
  { sink, before }: Extras,
): Promise<ServerProcess[]> {
  const cpuProfDir = process.env.BENCH_CPU_PROF || undefined;
  const oursEnv = async (dir: string) => ({
    BROKER: 'kafka',
    KAFKA_BROKERS: brokers,
    DATA_DIR: dir,
    PORT: String(await freePort()),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '0',
    OTEL_TRACES_EXPORTER: 'none',
  });
  const servers: ServerProcess[] = [];
  try {
    servers.push(
      await spawnServer({
        label: 'ours',
        script: 'dist/apps/ingest/src/main.js',
        readyPath: '/health/ready',
        cpuProfDir,
        env: await oursEnv(dataDir),
      }),
    );
    servers.push(
      await spawnServer({
        label: 'baseline',
        script: 'dist/bench/support/ingest-baseline-server.js',
        readyPath: '/health/live',
        cpuProfDir,
        env: { KAFKA_BROKERS: brokers, PORT: String(await freePort()), NODE_ENV: 'production' },
      }),
    );
    if (sink)
      servers.push(
        await spawnServer({
          label: 'ours+otel',
          script: 'dist/apps/ingest/src/main.js',
          readyPath: '/health/ready',
          cpuProfDir,
          env: { ...(await oursEnv(join(dataDir, 'otel'))), ...tracingEnv(sink) },
        }),
      );
    if (before)
      servers.push(
        await spawnServer({
          label: 'before',
          script: 'dist/apps/ingest/src/main.js',
          root: before.root,
          readyPath: '/health/ready',
          cpuProfDir,
          env: await oursEnv(join(dataDir, 'before')),
        }),
      );
  } catch (error) {
    for (const server of servers) await server.stop();
    throw error;
  }
  return servers;
}

/** Every round's figures and the best of them, per `<server>/<shape>`. */
interface Measured {
  readonly best: Map<string, LoadFigures>;
  readonly rounds: Map<string, LoadFigures[]>;
}

/**
 * Warms every server up, then runs every shape against each server per round, alternating which
 * server goes first, and keeps every run.
 */
async function measure(servers: ServerProcess[]): Promise<Measured> {
  for (const server of servers) {
    for (const shape of SHAPES)
      await loadPageViews(server, shape.events, WARM_UP_SECONDS, CONNECTIONS);
  }
  const measured: Measured = { best: new Map(), rounds: new Map() };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const shape of SHAPES) {
      for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
        const figures = await loadPageViews(server, shape.events, SECONDS, CONNECTIONS);
        console.log(`round ${round}: ${formatFigures(server.label, shape.name, figures)}`);
        const key = `${server.label}/${shape.name}`;
        measured.best.set(key, best(measured.best.get(key), figures));
        const rounds = measured.rounds.get(key);
        if (rounds === undefined) measured.rounds.set(key, [figures]);
        else rounds.push(figures);
      }
    }
  }
  return measured;
}

/** `label`'s figures over `other`'s, per shape: req/s and server CPU per request. */
function printRatios(
  figures: (label: string, shape: string) => LoadFigures,
  label: string,
  other: string,
  what: string,
): void {
  for (const shape of SHAPES) {
    const a = figures(label, shape.name);
    const b = figures(other, shape.name);
    console.log(
      `${shape.name}: ${what} req/s = ${(a.requestsPerSecond / b.requestsPerSecond).toFixed(2)}, ` +
        `server CPU per request ${what} = ${(a.cpuMsPerRequest / b.cpuMsPerRequest).toFixed(2)}`,
    );
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * With several rounds, `label` against `other` per shape from every round rather than the best:
 * the median CPU per request of each with its spread over the rounds (the run's noise), the
 * ratio of the medians, and each round's ratio.
 */
function printRoundRatios(rounds: Measured['rounds'], label: string, other: string): void {
  if (ROUNDS < 2) return;
  const cpu = (key: string) => (rounds.get(key) ?? []).map((f) => f.cpuMsPerRequest);
  const spread = (values: number[]) =>
    `${median(values).toFixed(3)} ms (${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)})`;
  for (const shape of SHAPES) {
    const ours = cpu(`${label}/${shape.name}`);
    const theirs = cpu(`${other}/${shape.name}`);
    const perRound = ours.map((value, i) => (value / theirs[i]).toFixed(2)).join(' ');
    console.log(
      `${shape.name}, all ${ROUNDS} rounds: server CPU per request ${label} ${spread(ours)}, ` +
        `${other} ${spread(theirs)}; median ${label}/${other} = ` +
        `${(median(ours) / median(theirs)).toFixed(2)}, per round ${perRound}`,
    );
  }
}

export async function main(): Promise<void> {
  const beforeRef = benchBeforeRef();
  // Built first: a ref that does not build fails the run before anything is started.
  const before = beforeRef ? await prepareBefore(beforeRef) : undefined;
  let kafka: Awaited<ReturnType<typeof startBenchKafka>> | undefined;
  let dataDir: string | undefined;
  let servers: ServerProcess[] = [];
  let sink: OtlpSink | undefined;
  try {
    kafka = await startBenchKafka();
    dataDir = await mkdtemp(join(tmpdir(), 'ep-bench-ingest-'));
    sink = benchTracing() ? await startOtlpSink() : undefined;
    servers = await startServers(kafka.brokers, dataDir, { sink, before });
    console.log(
      `${CONNECTIONS} connections, ${SECONDS} s per run after ${WARM_UP_SECONDS} s warm-up, ${ROUNDS} round(s)`,
    );
    const measured = await measure(servers);
    const figures = (label: string, shape: string) => measured.best.get(`${label}/${shape}`)!;
    console.log('best of the rounds:');
    for (const shape of SHAPES) {
      for (const server of servers)
        console.log(formatFigures(server.label, shape.name, figures(server.label, shape.name)));
    }
    printRatios(figures, 'ours', 'baseline', 'ours/baseline');
    if (sink) {
      printRatios(figures, 'ours+otel', 'ours', 'tracing on/off');
      printRoundRatios(measured.rounds, 'ours+otel', 'ours');
      console.log(`OTLP endpoint received ${sink.requests} exports, ${sink.bytes} bytes`);
    }
    if (before) {
      console.log(`before: ${before.ref} (${before.commit}), tracing off in both`);
      printRatios(figures, 'ours', 'before', 'ours/before');
      printRoundRatios(measured.rounds, 'ours', 'before');
    }
    const headline = SHAPES[0].name;
    const ours = figures('ours', headline);
    const baseline = figures('baseline', headline);
    if (ours.failures > 0 || baseline.failures > 0) {
      throw new Error('requests failed during the measured runs: the figures do not count');
    }
    console.log(
      `headline: requests per second with ${headline} requests, ours (the ingest app) vs ` +
        'baseline (bare http server, same publisher)',
    );
    printHeadline(NAME, ours.requestsPerSecond, baseline.requestsPerSecond);
  } finally {
    for (const server of servers) await server.stop();
    await sink?.stop();
    await kafka?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await before?.remove();
  }
}
