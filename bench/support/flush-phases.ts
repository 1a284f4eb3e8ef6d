/**
 * Times the phases of one work-queue flush transaction, run by the work queue's own
 * `writeBatchInTransaction`: every statement (through the runner, or sent on its pg client
 * directly) is timed from sending to its result and charged to the phase it was sent in, and the
 * buffer's `eventIds`/`materialize` and the writer mark where the phases change. Phases may
 * overlap PostgreSQL's work: a statement's time is not always part of its phase's wall time.
 */
import type { QueryRunner } from 'typeorm';
import { writeBatchInTransaction, type FlushContext, type WorkBuffer } from '@lib/work-queue';

/** The phases of a flush, in order. */
export const FLUSH_PHASES = [
  'begin',
  'offsets',
  'ids',
  'claim',
  'materialize',
  'write',
  'commit',
] as const;

export type FlushPhase = (typeof FLUSH_PHASES)[number];

/** Per phase: wall time and the part of it spent waiting for PostgreSQL, ms. */
export type PhaseTimes = Record<FlushPhase, { wall: number; sql: number; queries: number }>;

function emptyTimes(): PhaseTimes {
  const times = {} as PhaseTimes;
  for (const phase of FLUSH_PHASES) times[phase] = { wall: 0, sql: 0, queries: 0 };
  return times;
}

/** The part of node-postgres's client a flush uses directly. */
interface PgClient {
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Statements `explain` is given the plan of (not SAVEPOINT and the like). */
const EXPLAINABLE = /^\s*(INSERT|UPDATE|DELETE|SELECT|WITH)\b/i;

/** Receives the plan of one statement of an explained flush. */
export type ExplainSink = (phase: FlushPhase, sql: string, plan: string[]) => void;

/**
 * Runs one flush of `batch` in a transaction of its own and returns its phase times. With
 * `explain`, every data statement first runs as `EXPLAIN (ANALYZE, BUFFERS)` under a savepoint
 * that is rolled back (so the times of that flush mean nothing).
 */
export async function timedFlush<TEvent, TOut>(
  runner: QueryRunner,
  batch: WorkBuffer<TEvent, TOut>,
  context: FlushContext<TOut>,
  explain?: ExplainSink,
): Promise<{ times: PhaseTimes; rows: number; applied: number }> {
  const times = emptyTimes();
  let phase: FlushPhase = 'begin';
  let mark = performance.now();
  const enter = (next: FlushPhase) => {
    const now = performance.now();
    times[phase].wall += now - mark;
    mark = now;
    phase = next;
  };
  /** Times `send` (and explains its statement first, when asked), charged to the phase it starts in. */
  const instrument =
    <R>(
      send: (sql: string, parameters?: unknown[], structured?: boolean) => Promise<R>,
      plan: (result: R) => unknown[],
    ) =>
    async (sql: string, parameters?: unknown[], structured?: boolean): Promise<R> => {
      const startedIn = phase;
      // A message of several statements (no parameters) is explained statement by statement.
      const statements = parameters === undefined ? sql.split(/;\s+/) : [sql];
      for (const statement of explain === undefined ? [] : statements) {
        if (!EXPLAINABLE.test(statement)) continue;
        await send('SAVEPOINT bench_explain');
        const explained = plan(await send(`EXPLAIN (ANALYZE, BUFFERS) ${statement}`, parameters));
        await send('ROLLBACK TO SAVEPOINT bench_explain');
        explain!(
          startedIn,
          statement,
          (explained as Array<{ 'QUERY PLAN': string }>).map((row) => row['QUERY PLAN']),
        );
      }
      const started = performance.now();
      try {
        return await send(sql, parameters, structured);
      } finally {
        times[startedIn].sql += performance.now() - started;
        times[startedIn].queries++;
      }
    };
  const timedRunner = Object.create(runner) as QueryRunner & { databaseConnection?: unknown };
  timedRunner.query = instrument(
    runner.query.bind(runner),
    (rows) => rows as unknown[],
  ) as QueryRunner['query'];

  const eventIds = batch.eventIds.bind(batch);
  const materialize = batch.materialize.bind(batch);
  batch.eventIds = (buckets) => {
    enter('ids');
    const ids = eventIds(buckets);
    enter('claim');
    return ids;
  };
  batch.materialize = (buckets, duplicates) => {
    enter('materialize');
    return materialize(buckets, duplicates);
  };
  const write: FlushContext<TOut>['write'] = (r, values) => {
    enter('write');
    return context.write(r, values);
  };

  await runner.startTransaction();
  times.begin.queries++;
  // The pg client a flush sends its claim on directly (sendNow), timed and explained the same way.
  const client = (runner as unknown as { databaseConnection?: PgClient }).databaseConnection;
  if (client !== undefined) {
    timedRunner.databaseConnection = {
      query: instrument(
        (sql, parameters) => client.query(sql, parameters),
        (result) => result.rows,
      ),
    };
  }
  enter('offsets');
  const outcome = await writeBatchInTransaction(timedRunner, batch, { ...context, write });
  enter('commit');
  await runner.commitTransaction();
  times.commit.queries++;
  enter('commit');
  times.begin.sql = times.begin.wall;
  times.commit.sql = times.commit.wall;
  return { times, rows: outcome.rows, applied: outcome.applied };
}

/** The mean of several flushes' phase times. */
export function meanTimes(all: readonly PhaseTimes[]): PhaseTimes {
  const mean = emptyTimes();
  for (const times of all) {
    for (const phase of FLUSH_PHASES) {
      mean[phase].wall += times[phase].wall / all.length;
      mean[phase].sql += times[phase].sql / all.length;
      mean[phase].queries += times[phase].queries / all.length;
    }
  }
  return mean;
}

/** `offsets 1.2 ms (sql 1.1, 1 query) · claim …`, and the total. */
export function formatTimes(times: PhaseTimes): string {
  let total = 0;
  let sql = 0;
  const parts = FLUSH_PHASES.map((phase) => {
    const t = times[phase];
    total += t.wall;
    sql += t.sql;
    return `${phase} ${t.wall.toFixed(1)} (sql ${t.sql.toFixed(1)}, ${Math.round(t.queries)} q)`;
  });
  return `total ${total.toFixed(1)} ms (sql ${sql.toFixed(1)}): ${parts.join(' · ')}`;
}
