/**
 * What a benchmark run cost PostgreSQL in writes: row versions per table (n_tup_ins + n_tup_upd,
 * of them HOT updates n_tup_hot_upd, from pg_stat_user_tables) and WAL bytes (pg_current_wal_lsn
 * difference: server-wide, so other load on a shared server adds to it). Statistics reach the
 * views with a delay: pg_stat_force_next_flush() (PostgreSQL 15+) is asked for, and a short wait
 * covers older servers and other backends.
 */
import type { Client } from 'pg';

/** Cumulative write counters of one table and the WAL position, at one moment. */
export interface WriteSnapshot {
  readonly inserted: number;
  readonly updated: number;
  readonly hotUpdated: number;
  readonly allTablesRowVersions: number;
  readonly lsn: string;
}

/** Writes between two snapshots. */
export interface WriteCost {
  /** Row versions written to the table (inserts + updates). */
  readonly rowVersions: number;
  readonly hotUpdates: number;
  readonly updates: number;
  /** Row versions written to every user table of the database (offsets, processed ids included). */
  readonly allTablesRowVersions: number;
  readonly walBytes: number;
}

/** Takes a snapshot for `table` after letting the server publish pending statistics. */
export async function writeSnapshot(
  db: Client,
  table: string,
  settleMs = 1_500,
): Promise<WriteSnapshot> {
  await new Promise((r) => setTimeout(r, settleMs)); // other backends report their counters within ~1 s
  await db.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<{
    ins: string;
    upd: string;
    hot: string;
    all: string;
    lsn: string;
  }>(
    `SELECT coalesce((SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = $1), 0)::text AS ins,
            coalesce((SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = $1), 0)::text AS upd,
            coalesce((SELECT n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = $1), 0)::text AS hot,
            (SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables)::text AS all,
            pg_current_wal_lsn()::text AS lsn`,
    [table],
  );
  const r = rows[0];
  return {
    inserted: Number(r.ins),
    updated: Number(r.upd),
    hotUpdated: Number(r.hot),
    allTablesRowVersions: Number(r.all),
    lsn: r.lsn,
  };
}

/** The writes between `before` and `after`. */
export async function writeCost(
  db: Client,
  before: WriteSnapshot,
  after: WriteSnapshot,
): Promise<WriteCost> {
  const { rows } = await db.query<{ d: string }>('SELECT pg_wal_lsn_diff($2, $1)::text AS d', [
    before.lsn,
    after.lsn,
  ]);
  return {
    rowVersions: after.inserted + after.updated - before.inserted - before.updated,
    updates: after.updated - before.updated,
    hotUpdates: after.hotUpdated - before.hotUpdated,
    allTablesRowVersions: after.allTablesRowVersions - before.allTablesRowVersions,
    walBytes: Number(rows[0].d),
  };
}

/** Size of `table` with its indexes and TOAST, and its dead tuples now, for the report. */
export async function tableSize(
  db: Client,
  table: string,
): Promise<{ bytes: number; deadTuples: number; liveTuples: number }> {
  const { rows } = await db.query<{ bytes: string; dead: string; live: string }>(
    `SELECT pg_total_relation_size($1::text::regclass)::text AS bytes,
            coalesce((SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = $1::text), 0)::text AS dead,
            (SELECT count(*) FROM ${table})::text AS live`,
    [table],
  );
  return {
    bytes: Number(rows[0].bytes),
    deadTuples: Number(rows[0].dead),
    liveTuples: Number(rows[0].live),
  };
}
