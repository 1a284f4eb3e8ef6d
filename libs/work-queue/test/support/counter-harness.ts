/**
 * Drives the counter fixture (../fixture/counter-main.ts) as a child process for the e2e specs:
 * start it, read its JSON phase lines, signal it; publish events with raw kafkajs / amqplib; read
 * `counter_totals` directly.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as amqp from 'amqplib';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { waitFor, freePort } from '@test/support';

/** The repository root (this file also runs compiled from dist/, e.g. in the bench). */
function findRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'scripts', 'register-paths.js'))) return dir;
    if (dirname(dir) === dir) throw new Error(`repository root not found above ${__dirname}`);
  }
}
const ROOT = findRoot();
const FIXTURE_JS = join(ROOT, 'dist', 'libs', 'work-queue', 'test', 'fixture', 'counter-main.js');
const FIXTURE_DIR = join(ROOT, 'libs', 'work-queue', 'test', 'fixture');
const FIXTURE_DIST = join(ROOT, 'dist', 'libs', 'work-queue', 'test', 'fixture');

/** Throws unless the compiled fixture exists and each file is newer than its source (tsc is incremental). */
export function assertFixtureBuilt(): void {
  for (const name of ['counter-app', 'counter-main']) {
    const js = join(FIXTURE_DIST, `${name}.js`);
    const ts = join(FIXTURE_DIR, `${name}.ts`);
    if (!existsSync(js))
      throw new Error(`${js} missing: run \`npm run build\` before these e2e specs`);
    if (existsSync(ts) && statSync(ts).mtimeMs > statSync(js).mtimeMs) {
      throw new Error(`${js} is older than ${ts}: run \`npm run build\``);
    }
  }
}

/** One published event. */
export interface CounterEvent {
  readonly eventId: string;
  readonly key: string;
  readonly amount: number;
}

/** Expected totals of a set of events. */
export interface Totals {
  readonly n: number;
  readonly total: number;
  readonly keys: number;
}

/** `count` events over `keys` keys (uniform), amounts 1..100, unique event ids. */
export function makeEvents(
  count: number,
  keys: number,
  tag = randomBytes(3).toString('hex'),
): CounterEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${tag}-${i}`,
    key: `k${Math.floor(Math.random() * keys)}`,
    amount: 1 + Math.floor(Math.random() * 100),
  }));
}

export function expectedTotals(events: readonly CounterEvent[]): Totals {
  const keys = new Set(events.map((e) => e.key));
  return { n: events.length, total: events.reduce((s, e) => s + e.amount, 0), keys: keys.size };
}

/** Per-key `{ n, total }` of a set of events. */
export function expectedPerKey(
  events: readonly CounterEvent[],
): Record<string, { n: number; total: number }> {
  const out: Record<string, { n: number; total: number }> = {};
  for (const e of events) {
    const row = (out[e.key] ??= { n: 0, total: 0 });
    row.n++;
    row.total += e.amount;
  }
  return out;
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Totals in `counter_totals` (zeros while the table does not exist yet). */
export async function dbTotals(url: string): Promise<Totals> {
  return withClient(url, async (c) => {
    const exists = await c.query("SELECT to_regclass('counter_totals') IS NOT NULL AS ok");
    if (!exists.rows[0].ok) return { n: 0, total: 0, keys: 0 };
    const { rows } = await c.query<{ n: string; total: string; keys: string }>(
      'SELECT coalesce(sum(n),0)::text n, coalesce(sum(total),0)::text total, count(*)::text keys FROM counter_totals',
    );
    return { n: Number(rows[0].n), total: Number(rows[0].total), keys: Number(rows[0].keys) };
  });
}

/** `counter_totals` per key. */
export async function dbPerKey(url: string): Promise<Record<string, { n: number; total: number }>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ key: string; n: string; total: string }>(
      'SELECT key, n::text, total::text FROM counter_totals',
    );
    return Object.fromEntries(rows.map((r) => [r.key, { n: Number(r.n), total: Number(r.total) }]));
  });
}

/** Keys of dedupe_ids (de-duplication ids stored). */
export async function processedIds(url: string): Promise<number> {
  return withClient(url, async (c) =>
    Number((await c.query('SELECT count(*)::int AS n FROM dedupe_ids')).rows[0].n),
  );
}

/** A JSON phase line the fixture printed. */
export interface PhaseLine {
  readonly phase: string;
  readonly at: number;
  readonly [field: string]: unknown;
}

/** A running fixture process. */
export class CounterProcess {
  readonly phases: PhaseLine[] = [];
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
    });
    let pending = '';
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        this.output.push(line);
        if (this.output.length > 5_000) this.output.splice(0, 1_000);
        if (line.startsWith('{"phase"')) {
          try {
            this.phases.push(JSON.parse(line) as PhaseLine);
          } catch {
            /* a log line that only looks like ours */
          }
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) =>
      this.output.push(`[stderr] ${chunk.toString().trimEnd()}`),
    );
  }

  /** Spawns the fixture with `env` (plus a free PORT) and waits until it listens. */
  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<CounterProcess> {
    assertFixtureBuilt();
    const port = await freePort();
    const child = spawn(process.execPath, ['-r', './scripts/register-paths.js', FIXTURE_JS], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        LOG_LEVEL: 'warn',
        SHUTDOWN_GRACE_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '30000',
        DATABASE_POOL_SIZE: '4',
        PORT: String(port),
        HOST: '127.0.0.1',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const proc = new CounterProcess(child, port);
    try {
      await Promise.race([
        waitFor(() => proc.has('listening') || proc.exitInfo !== undefined, {
          timeoutMs,
          intervalMs: 100,
          description: 'counter fixture listening',
        }),
        proc.exited,
      ]);
      if (proc.exitInfo) throw new Error(`fixture exited early: ${JSON.stringify(proc.exitInfo)}`);
    } catch (error) {
      proc.child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- fixture output ---\n${proc.tail()}`);
    }
    return proc;
  }

  has(phase: string): boolean {
    return this.phases.some((p) => p.phase === phase);
  }

  /** The phase lines from `from` on (default all), as names. */
  phaseNames(): string[] {
    return this.phases.map((p) => p.phase);
  }

  /** Last lines of output, for failure messages. */
  tail(lines = 60): string {
    return this.output.slice(-lines).join('\n');
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** The exit, or an error with the output tail after `ms`. */
  async exitWithin(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`fixture did not exit within ${ms} ms:\n${this.tail()}`)),
            ms,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL (if still running) and wait for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Resident set size of the process in bytes, from /proc (Linux). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status);
    if (!kb) throw new Error('no VmRSS in /proc status');
    return Number(kb[1]) * 1024;
  }

  /** GET on the fixture's HTTP port. */
  async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, text: await response.text() };
  }

  /** A metric's value from /metrics (first sample whose line starts with `name`). */
  async metric(name: string): Promise<number | undefined> {
    const { text } = await this.get('/metrics');
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }
}

/** Creates `topic` with `partitions` partitions. */
export async function createTopic(
  brokers: string,
  topic: string,
  partitions: number,
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'wq-e2e-admin',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    // The broker's metadata must show it with leaders before a consumer (and its topology check) starts.
    await waitFor(
      async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return (
          topics[0]?.partitions.length === partitions &&
          topics[0].partitions.every((p) => p.leader >= 0)
        );
      },
      { timeoutMs: 30_000, intervalMs: 200, description: `topic ${topic} with leaders` },
    );
  } finally {
    await admin.disconnect();
  }
}

/** Publishes `events` to Kafka topic `topic` keyed by `key` (acks=-1), in chunks; optional pause between chunks. */
export async function publishKafka(
  brokers: string,
  topic: string,
  events: readonly CounterEvent[],
  { chunk = 1_000, pauseMs = 0 }: { chunk?: number; pauseMs?: number } = {},
): Promise<void> {
  const kafka = new Kafka({
    clientId: 'wq-e2e-producer',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += chunk) {
      await producer.send({
        topic,
        acks: -1,
        messages: events.slice(i, i + chunk).map((e) => ({ key: e.key, value: JSON.stringify(e) })),
      });
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    await producer.disconnect();
  }
}

/** Publishes `events` to RabbitMQ stream exchange `stream` through a confirm channel. */
export async function publishRabbit(
  url: string,
  stream: string,
  events: readonly CounterEvent[],
  { chunk = 1_000, pauseMs = 0 }: { chunk?: number; pauseMs?: number } = {},
): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < events.length; i += chunk) {
      for (const e of events.slice(i, i + chunk)) {
        channel.publish(stream, '', Buffer.from(JSON.stringify(e)), {
          persistent: true,
          contentType: 'application/json',
          messageId: e.eventId,
          headers: { 'x-event-id': e.eventId },
        });
      }
      await channel.waitForConfirms();
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Index of the first phase line named `name` at or after `from`; -1 when absent. */
export function indexOfPhase(phases: readonly PhaseLine[], name: string, from = 0): number {
  for (let i = from; i < phases.length; i++) if (phases[i].phase === name) return i;
  return -1;
}

/** Index of the last phase line named `name`; -1 when absent. */
export function lastIndexOfPhase(phases: readonly PhaseLine[], name: string): number {
  for (let i = phases.length - 1; i >= 0; i--) if (phases[i].phase === name) return i;
  return -1;
}
