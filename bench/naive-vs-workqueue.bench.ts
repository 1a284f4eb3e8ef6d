/**
 * `npm run bench -- naive-vs-workqueue [events] [naiveEvents]`: the same events over Zipf-skewed
 * keys (s = 1, 10 000 keys) counted into PostgreSQL per key, by
 * - baseline: a naive kafkajs `eachMessage` listener awaiting one upsert per message
 *   (bench/support/naive-counter.ts), on a prefix of the events (default 20 000 of 200 000, same
 *   distribution: it would take minutes otherwise), figures normalised per 100 000 events;
 * - ours: the work-queue counter fixture (libs/work-queue/test/fixture, `@Batch(500)` +
 *   `@KeyedConcurrency(4)` + `WorkQueueRegistry.aggregate` + `unnestUpsert`, offsets stored with
 *   the data, de-duplication on) as a child process, on all events.
 * Real Kafka (startBenchKafka, 3 partitions) and PostgreSQL (a throwaway database under
 * TEST_PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres, dropped afterwards).
 * Rates run from the first event visible to the last (ours: polled in the database every 50 ms).
 * Commits (pg_stat_database.xact_commit of the database, minus the bench's own polling queries),
 * row versions written (n_tup_ins + n_tup_upd over all tables of the database) and WAL bytes
 * (pg_current_wal_lsn difference — server-wide, so other load on a shared server adds to both).
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
// The work-queue tests' counter harness, which no library exports: the benchmark measures exactly what those tests check.
// eslint-disable-next-line no-restricted-imports
import { CounterProcess, type CounterEvent } from '../libs/work-queue/test/support/counter-harness';
import {
  costFactor,
  formatRate,
  printHeadline,
  produceToNewTopic,
  startBenchKafka,
  createBenchDatabase,
} from './support';
import { runNaiveCounter } from './support/naive-counter';

const NAME = 'naive-vs-workqueue';
const KEYS = 10_000;
const PARTITIONS = 3;

/** Zipf(s=1) over `keys` keys by inverse CDF. */
function zipfEvents(count: number, keys: number): CounterEvent[] {
  const cdf = new Float64Array(keys);
  let acc = 0;
  for (let k = 0; k < keys; k++) cdf[k] = acc += 1 / (k + 1);
  const tag = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) => {
    const u = Math.random() * acc;
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return { eventId: `${tag}-${i}`, key: `k${lo}`, amount: 1 + (i % 100) };
  });
}

interface PgStats {
  commits: number;
  rowVersions: number;
  lsn: string;
}

async function pgStats(db: Client): Promise<PgStats> {
  await db.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<{ commits: string; rows: string; lsn: string }>(`
    SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())::text AS commits,
           (SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables)::text AS rows,
           pg_current_wal_lsn()::text AS lsn`);
  return { commits: Number(rows[0].commits), rowVersions: Number(rows[0].rows), lsn: rows[0].lsn };
}

async function walBytes(db: Client, from: string, to: string): Promise<number> {
  const { rows } = await db.query<{ d: string }>('SELECT pg_wal_lsn_diff($2, $1)::text AS d', [
    from,
    to,
  ]);
  return Number(rows[0].d);
}

function publish(brokers: string, topic: string, events: readonly CounterEvent[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'bench-pub',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  return produceToNewTopic(kafka, topic, PARTITIONS, events.length, (i) => ({
    key: events[i].key,
    value: JSON.stringify(events[i]),
  }));
}

interface RunFigures {
  events: number;
  ms: number;
  commits: number;
  rowVersions: number;
  wal: number;
}

function report(label: string, f: RunFigures): void {
  const per100k = 100_000 / f.events;
  console.log(
    `${label}: ${f.events} events in ${(f.ms / 1000).toFixed(2)} s = ${formatRate((f.events / f.ms) * 1000)}; per 100k events: ` +
      `${Math.round(f.commits * per100k)} commits, ${Math.round(f.rowVersions * per100k)} row versions, ` +
      `${((f.wal * per100k) / 1024 / 1024).toFixed(1)} MiB WAL`,
  );
}

export async function main(args: string[]): Promise<void> {
  const total = Number(args[0] ?? 200_000);
  const naiveCount = Number(args[1] ?? 20_000);
  const kafka = await startBenchKafka();
  const scratch = await createBenchDatabase('nvw');
  const url = scratch.url;
  const stats = new Client({ connectionString: url });
  await stats.connect();
  try {
    const events = zipfEvents(total, KEYS);
    const distinct = new Set(events.map((e) => e.key)).size;
    const top = events.filter((e) => e.key === 'k0').length;
    console.log(
      `${total} events over ${distinct} of ${KEYS} keys (Zipf s=1; hottest key ${((top / total) * 100).toFixed(1)}%), naive on the first ${naiveCount}`,
    );
    const naiveTopic = `nvw-naive-${randomBytes(3).toString('hex')}`;
    await publish(kafka.brokers, naiveTopic, events.slice(0, naiveCount));

    // Baseline.
    const n0 = await pgStats(stats);
    const naiveMs = await runNaiveCounter(kafka.brokers, naiveTopic, url, naiveCount);
    await new Promise((r) => setTimeout(r, 1_500)); // backends report their stats within ~1 s
    const n1 = await pgStats(stats);
    const naive: RunFigures = {
      events: naiveCount,
      ms: naiveMs,
      commits: n1.commits - n0.commits - 2, // the stats queries between snapshots
      rowVersions: n1.rowVersions - n0.rowVersions,
      wal: await walBytes(stats, n0.lsn, n1.lsn),
    };
    const naiveCheck = await stats.query<{ n: string }>(
      'SELECT sum(n)::text AS n FROM naive_totals',
    );
    if (Number(naiveCheck.rows[0].n) !== naiveCount)
      throw new Error(`naive counted ${naiveCheck.rows[0].n}, expected ${naiveCount}`);

    // Ours: the fixture as a child process (it migrates the database and creates counter_totals
    // at start), once with eventId de-duplication (the default) and once with the Kafka offsets
    // stored in the flush transaction alone, which is exactly-once when no duplicates are made
    // before the broker, as here.
    const measureOurs = async (dedupe: boolean, topic: string) => {
      await stats.query(
        "DO $$ BEGIN IF to_regclass('counter_totals') IS NOT NULL THEN TRUNCATE counter_totals; END IF; END $$",
      );
      const fixture = await CounterProcess.start({
        BROKER: 'kafka',
        KAFKA_BROKERS: kafka.brokers,
        DATABASE_URL: url,
        COUNTER_STREAM: topic,
        COUNTER_GROUP: `nvw-${randomBytes(3).toString('hex')}`,
        COUNTER_DEDUPE: String(dedupe),
        LOG_LEVEL: 'error',
      });
      let polls = 0;
      const counted = async () => {
        polls++;
        const { rows } = await stats.query<{ n: string }>(
          "SELECT CASE WHEN to_regclass('counter_totals') IS NULL THEN '0' ELSE (SELECT coalesce(sum(n),0)::text FROM counter_totals) END AS n",
        );
        return Number(rows[0].n);
      };
      const o0 = await pgStats(stats);
      let first = 0;
      let firstN = 0;
      let last = 0;
      const deadline = Date.now() + 600_000;
      for (;;) {
        const n = await counted();
        if (n > 0 && first === 0) {
          first = performance.now();
          firstN = n;
        }
        if (n >= total) {
          last = performance.now();
          break;
        }
        if (Date.now() > deadline) throw new Error(`work queue counted ${n} of ${total} in 10 min`);
        await new Promise((r) => setTimeout(r, 50));
      }
      fixture.signal('SIGTERM');
      await fixture.exitWithin(60_000);
      await new Promise((r) => setTimeout(r, 1_500));
      const o1 = await pgStats(stats);
      const ours: RunFigures = {
        events: total - firstN,
        ms: last - first,
        commits: o1.commits - o0.commits - polls - 2,
        rowVersions: o1.rowVersions - o0.rowVersions,
        wal: await walBytes(stats, o0.lsn, o1.lsn),
      };
      const exact = await stats.query<{ n: string; total: string }>(
        'SELECT sum(n)::text n, sum(total)::text total FROM counter_totals',
      );
      const expectedTotal = events.reduce((sum, e) => sum + e.amount, 0);
      if (Number(exact.rows[0].n) !== total || Number(exact.rows[0].total) !== expectedTotal) {
        throw new Error(
          `work queue totals ${JSON.stringify(exact.rows[0])}, expected n=${total} total=${expectedTotal}`,
        );
      }
      return ours;
    };
    const perK = (f: RunFigures, v: number) => (v * 100_000) / f.events;
    report('baseline (naive eachMessage + upsert per message)', naive);
    const results: Array<{ label: string; ours: RunFigures }> = [];
    for (const dedupe of [true, false]) {
      const topic = `nvw-ours-${dedupe ? 'dedupe' : 'offsets'}-${randomBytes(3).toString('hex')}`;
      await publish(kafka.brokers, topic, events);
      const ours = await measureOurs(dedupe, topic);
      const label = dedupe
        ? 'ours, offsets + eventId de-duplication (default)'
        : 'ours, offsets in the flush transaction only';
      results.push({ label, ours });
      // Commits/rows/WAL of ours cover the whole run (all `total` events, incl. the first flush and the shutdown).
      const oursWhole = { ...ours, events: total };
      console.log(
        `${label}: rate over ${ours.events} events from the first visible flush to the last`,
      );
      report(label, { ...oursWhole, ms: ours.ms * (total / ours.events) });
      console.log(
        `  per 100k events: commits ${perK(naive, naive.commits).toFixed(0)} vs ${perK(oursWhole, ours.commits).toFixed(0)} ` +
          `(${(perK(naive, naive.commits) / Math.max(1, perK(oursWhole, ours.commits))).toFixed(0)}× fewer), ` +
          `row versions ${(perK(naive, naive.rowVersions) / Math.max(1, perK(oursWhole, ours.rowVersions))).toFixed(1)}× fewer, ` +
          `WAL ${costFactor(perK(naive, naive.wal), perK(oursWhole, ours.wal))}; ` +
          `throughput ${(ours.events / ours.ms / (naive.events / naive.ms)).toFixed(1)}×`,
      );
    }
    const ours = results[1].ours;
    console.log(
      `headline: ${results[1].label} (pre-broker duplicates need the de-duplicating setting; both figures above)`,
    );
    printHeadline(NAME, (ours.events / ours.ms) * 1000, (naive.events / naive.ms) * 1000);
  } finally {
    await stats.end().catch(() => undefined);
    await scratch.drop();
    await kafka.stop();
  }
}
