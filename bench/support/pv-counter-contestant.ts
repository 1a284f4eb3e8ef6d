/**
 * One pv-counter build measured by `npm run bench -- pv-counter`: ours (the repository's build),
 * ours with tracing on, or an earlier commit's (BENCH_BEFORE). Each has a database, a data dir
 * and a consumer group of its own, and reads the same `page-views` topic from its start.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './bench-app';
import { flushStats, flushTotals, formatFlushStats, type FlushTotals } from './flush-stats';
import { spawnServer, type ServerProcess } from './ingest-load';
import { formatMergeStats, mergeTotals, type MergeTotals } from './merge-stats';
import { mergesCaughtUp, viewsCounted } from './page-view-counts';
import { tableSize, writeCost, writeSnapshot, type WriteCost } from './pg-write-stats';
import { cpuTimeMs } from './process-cpu';
import { formatRate } from './report';
import { MARKER_DAY, measureVisibility, type VisibilityLatency } from './visibility-latency';

/** Where pv-counter keeps merged views per (day, page). */
export const COUNTS_TABLE = 'page_views_daily';
/** Where pv-counter keeps its unique-visitor sketches, merged from its flushes' visitor updates. */
const SKETCH_TABLE = 'page_visitors_daily';
/** pv-counter's work queue (DAILY_VIEWS_QUEUE), whose flush metrics are printed. */
const FLUSH_QUEUE = 'page-views-daily';

/** What is needed to start one contestant. */
export interface ContestantSpec {
  /** `ours`, `ours+otel` or `before`. */
  readonly label: string;
  /** Where its build is: the repository (default) or an earlier commit's worktree. */
  readonly root?: string;
  readonly brokers: string;
  readonly databaseUrl: string;
  /** Set over the defaults (tracing off, LOG_LEVEL=warn, JSON logs). */
  readonly env?: Record<string, string>;
}

/** The figures of one contestant's run through the whole topic. */
export interface Throughput {
  readonly viewsPerSecond: number;
  /** The app's CPU time (user + system) per 1,000 views, from the first visible flush to the merges' end. */
  readonly cpuMsPer1kViews: number;
  readonly cost: WriteCost;
  readonly events: number;
}

/** What a contestant cost at a paced rate, the merges that followed included. */
export interface PacedCost {
  /** The app's CPU time (user + system) per 1,000 views. */
  readonly cpuMsPer1kViews: number;
  /** Row versions of every table per 1,000 views (update rows, processed ids, offsets, merges). */
  readonly rowVersionsPer1kViews: number;
  /** WAL bytes per 1,000 views (server-wide). */
  readonly walBytesPer1kViews: number;
}

/** `ours'`, `before's`. */
function possessive(label: string): string {
  return label.endsWith('s') ? `${label}'` : `${label}'s`;
}

/** The totals of pv-counter's view and sketch merges. */
async function mergeSnapshot(url: string): Promise<[MergeTotals, MergeTotals]> {
  return [await mergeTotals(url, 'pv_view_merge'), await mergeTotals(url, 'pv_sketch_merge')];
}

function printMerges(
  label: string,
  before: [MergeTotals, MergeTotals],
  after: [MergeTotals, MergeTotals],
  when = '',
): void {
  console.log(
    `${possessive(label)} merges${when}: views ${formatMergeStats(before[0], after[0])}; sketches ${formatMergeStats(before[1], after[1])}`,
  );
}

/** Prints a write cost per 100 000 views. */
export function describeCost(label: string, events: number, cost: WriteCost): void {
  const per = 100_000 / events;
  console.log(
    `${label} per 100k views: ${Math.round(cost.rowVersions * per)} row versions of the counting table ` +
      `(${Math.round(cost.updates * per)} updates, ${cost.updates > 0 ? ((cost.hotUpdates / cost.updates) * 100).toFixed(0) : '–'} % HOT), ` +
      `${Math.round(cost.allTablesRowVersions * per)} over all tables, ${((cost.walBytes * per) / 1024 / 1024).toFixed(1)} MiB WAL`,
  );
}

/** A pv-counter build with its own database, data dir and consumer group. */
export class Contestant {
  private app?: ServerProcess;
  private flushes?: FlushTotals;
  private merges?: [MergeTotals, MergeTotals];

  private constructor(
    private readonly spec: ContestantSpec,
    readonly db: Client,
    private readonly dataDir: string,
  ) {}

  /** Connects to the contestant's database (it must exist and be empty). */
  static async create(spec: ContestantSpec): Promise<Contestant> {
    const db = new Client({ connectionString: spec.databaseUrl });
    await db.connect();
    const safe = spec.label.replace(/[^a-z0-9]+/g, '-');
    return new Contestant(spec, db, await mkdtemp(join(tmpdir(), `ep-bench-pv-${safe}-`)));
  }

  get label(): string {
    return this.spec.label;
  }

  /** Starts the app (it migrates the database at start-up); resolves once it is ready. */
  async start(): Promise<void> {
    const group: Record<string, string> =
      this.label === 'ours'
        ? {}
        : { CONSUMER_GROUP: `pv-counter-${this.label.replace(/[^a-z0-9]+/g, '-')}` };
    this.app = await spawnServer({
      label: this.label,
      script: 'dist/apps/pv-counter/src/main.js',
      root: this.spec.root,
      readyPath: '/health/ready',
      readyWithinMs: 120_000,
      env: {
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        SHUTDOWN_GRACE_MS: '0',
        OTEL_TRACES_EXPORTER: 'none',
        ...(process.env.BENCH_MAX_IN_FLIGHT
          ? { CONSUMER_MAX_IN_FLIGHT: process.env.BENCH_MAX_IN_FLIGHT }
          : {}),
        ...this.spec.env,
        ...group,
        BROKER: 'kafka',
        KAFKA_BROKERS: this.spec.brokers,
        DATABASE_URL: this.spec.databaseUrl,
        DATA_DIR: this.dataDir,
        PORT: String(await freePort()),
      },
    });
  }

  /** Stops the app (SIGTERM); its database and offsets stay for a later start(). */
  async stop(): Promise<void> {
    await this.app?.stop();
    this.app = undefined;
  }

  /** Stops the app and removes its data dir; the database is the caller's. */
  async close(): Promise<void> {
    await this.stop();
    await this.db.end().catch(() => undefined);
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /**
   * Measures the started app counting the `total` views of `day` (from the first visible view to
   * the last, start-up and consumer join excluded) and the merges that follow, and prints it.
   */
  async countAll(day: string, total: number): Promise<Throughput> {
    const app = this.running();
    const label = this.label;
    const o0 = await writeSnapshot(this.db, COUNTS_TABLE, 0);
    const s0 = await writeSnapshot(this.db, SKETCH_TABLE, 0);
    const flushes0 = await flushTotals(app.url, FLUSH_QUEUE);
    const merges0 = await mergeSnapshot(app.url);
    let first = 0;
    let atFirst = 0;
    let cpuAtFirst = 0;
    let last = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      const n = await viewsCounted(this.db, day);
      const now = performance.now();
      if (n > 0 && first === 0) {
        first = now;
        atFirst = n;
        cpuAtFirst = cpuTimeMs(app.pid);
      }
      if (n >= total) {
        last = now;
        break;
      }
      if (Date.now() > deadline) throw new Error(`${label} counted ${n} of ${total} in 10 min`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The write cost includes the view and sketch merges that follow the last flush.
    await mergesCaughtUp(this.db, this.label);
    const cpuMs = cpuTimeMs(app.pid) - cpuAtFirst;
    const mergedAfterMs = performance.now() - last;
    const cost = await writeCost(this.db, o0, await writeSnapshot(this.db, COUNTS_TABLE));
    const sketchCost = await writeCost(this.db, s0, await writeSnapshot(this.db, SKETCH_TABLE, 0));
    const views = total - atFirst;
    const viewsPerSecond = (views / (last - first)) * 1000;
    const counted = await viewsCounted(this.db, day);
    if (counted !== total) throw new Error(`${label} counted ${counted}, expected ${total}`);
    const cpuMsPer1kViews = (cpuMs / views) * 1000;
    console.log(
      `${label} (pv-counter): ${views} views in ${((last - first) / 1000).toFixed(1)} s after the first visible flush = ` +
        `${formatRate(viewsPerSecond).replace('msg', 'views')}, app CPU ${cpuMsPer1kViews.toFixed(1)} ms per 1,000 views`,
    );
    describeCost(label, total, cost);
    console.log(
      `${possessive(label)} merges caught up ${Math.round(mergedAfterMs)} ms after the last view was visible (views are readable before: the read API adds those waiting); ` +
        `${Math.round((sketchCost.rowVersions * 100_000) / total)} row versions of ${SKETCH_TABLE} per 100k views (${sketchCost.updates > 0 ? ((sketchCost.hotUpdates / sketchCost.updates) * 100).toFixed(0) : '–'} % HOT, counted in "over all tables" above)`,
    );
    this.flushes = await flushTotals(app.url, FLUSH_QUEUE);
    this.merges = await mergeSnapshot(app.url);
    console.log(
      `${possessive(label)} flushes: ${formatFlushStats(flushStats(flushes0, this.flushes))}`,
    );
    printMerges(label, merges0, this.merges);
    const counts = await tableSize(this.db, COUNTS_TABLE);
    const sketches = await tableSize(this.db, SKETCH_TABLE);
    console.log(
      `${possessive(label)} table size after: ${(counts.bytes / 1024 / 1024).toFixed(1)} MiB for ${counts.liveTuples} rows (${counts.deadTuples} dead), ` +
        `sketches ${(sketches.bytes / 1024 / 1024).toFixed(1)} MiB for ${sketches.liveTuples} rows (${sketches.deadTuples} dead)`,
    );
    return { viewsPerSecond, cpuMsPer1kViews, cost, events: total };
  }

  /** Waits until the started app has counted `records` views over all days (it was restarted behind the topic's end). */
  async catchUp(records: number): Promise<void> {
    const deadline = Date.now() + 600_000;
    while ((await viewsCounted(this.db)) < records) {
      if (Date.now() > deadline)
        throw new Error(`${this.label} did not catch up with ${records} views in 10 min`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await mergesCaughtUp(this.db, this.label);
    this.flushes = await flushTotals(this.running().url, FLUSH_QUEUE);
    this.merges = await mergeSnapshot(this.running().url);
  }

  /**
   * Measures publish → visible latency at `ratePerSecond` for `seconds` with the app caught up,
   * and what that rate cost (CPU, row versions and WAL per view, until the merges caught up);
   * checks one marker through the read API, and prints it.
   */
  async latency(
    brokers: string,
    day: string,
    options: { ratePerSecond: number; seconds: number; pages: number; visitors: number },
  ): Promise<{ latency: VisibilityLatency; cost: PacedCost }> {
    const app = this.running();
    const label = this.label;
    const w0 = await writeSnapshot(this.db, COUNTS_TABLE, 0);
    const cpu0 = cpuTimeMs(app.pid);
    const latency = await measureVisibility(
      brokers.split(','),
      this.spec.databaseUrl,
      day,
      options,
    );
    await mergesCaughtUp(this.db, this.label);
    const cpuMs = cpuTimeMs(app.pid) - cpu0;
    const written = await writeCost(this.db, w0, await writeSnapshot(this.db, COUNTS_TABLE));
    const perThousand = 1000 / latency.sent;
    const cost: PacedCost = {
      cpuMsPer1kViews: cpuMs * perThousand,
      rowVersionsPer1kViews: written.allTablesRowVersions * perThousand,
      walBytesPer1kViews: written.walBytes * perThousand,
    };
    const rate = options.ratePerSecond;
    if (this.flushes && this.merges) {
      console.log(
        `${possessive(label)} flushes at ${rate} views/s: ${formatFlushStats(flushStats(this.flushes, await flushTotals(app.url, FLUSH_QUEUE)))}`,
      );
      printMerges(label, this.merges, await mergeSnapshot(app.url), ` at ${rate} views/s`);
    }
    const spot = await fetch(
      `${app.url}/v1/page-views/${encodeURIComponent(latency.sampleMarker)}?date=${MARKER_DAY}`,
    );
    const spotBody = (await spot.json()) as { views: number };
    if (spot.status !== 200 || spotBody.views !== 1)
      throw new Error(
        `${label}: read API spot check of ${latency.sampleMarker}: ${spot.status} ${JSON.stringify(spotBody)}`,
      );
    console.log(
      `${label}: publish → visible at ${rate} views/s (achieved ${Math.round(latency.achievedRate)}/s, ${latency.sent} views, ${latency.markers} markers): ` +
        `p50 ${latency.p50.toFixed(0)} ms, p99 ${latency.p99.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms; ` +
        `slowest per second: ${latency.maxPerSecond.map((ms) => ms.toFixed(0)).join(' ')} ms`,
    );
    console.log(
      `${label} at ${rate} views/s, until its merges caught up: app CPU ${cost.cpuMsPer1kViews.toFixed(1)} ms, ` +
        `${Math.round(cost.rowVersionsPer1kViews)} row versions over all tables, ` +
        `${(cost.walBytesPer1kViews / 1024).toFixed(0)} KiB WAL per 1,000 views`,
    );
    return { latency, cost };
  }

  private running(): ServerProcess {
    if (!this.app) throw new Error(`${this.label} is not started`);
    return this.app;
  }
}
