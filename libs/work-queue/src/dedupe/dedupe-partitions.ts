import type { DataSource, EntityManager } from 'typeorm';
import { GENERATION_MS, HOUR_MS, generationOf, lowestKey } from './dedupe-keys';

/** Anything that runs a query and resolves to its rows (a QueryRunner, a DataSource, a pg client wrapper). */
export interface Queryable {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/** The partitioned table of claimed event ids (one uuid key per id and scope). */
export const DEDUPE_TABLE = 'dedupe_ids';

/** Takes keys no hour partition takes (a client clock far off), so a claim never fails. */
export const DEFAULT_PARTITION = 'dedupe_ids_default';

/** Partitions of the hours from now up to this many hours ahead always exist. */
export const HOURS_AHEAD = 6;

/** pg_advisory_xact_lock key: instances change partitions one at a time. */
const PARTITION_LOCK_KEY = 727_171_202;

/** A DDL statement waits at most this long for its lock: claims queue behind a waiting DROP. */
const DDL_LOCK_TIMEOUT = '2s';

const PARTITION_NAME = /^dedupe_ids_p(\d{4})(\d{2})(\d{2})(\d{2})$/;

/** The partition holding the keys of the UTC hour starting at `hourMs`: `dedupe_ids_pYYYYMMDDHH`. */
export function partitionName(hourMs: number): string {
  const iso = new Date(hourMs).toISOString();
  return `${DEDUPE_TABLE}_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}`;
}

/** The hour (start, ms) of an hour partition's name; undefined for any other table. */
export function hourOfPartition(name: string): number | undefined {
  const m = PARTITION_NAME.exec(name);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]) : undefined;
}

/** Start of the UTC hour holding `ms`. */
export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * When the partition of `hourMs` may go: once its whole range is older than the window. An hour
 * that starts a generation also holds that generation's named ids, claimed until the next
 * generation's overlap ends, so it stays a generation (plus an hour for the overlap) longer.
 */
export function expiresAt(hourMs: number, retentionHours: number): number {
  const held = generationOf(hourMs) === hourMs ? GENERATION_MS + HOUR_MS : HOUR_MS;
  return hourMs + held + retentionHours * HOUR_MS;
}

/** The hours that must have a partition at `now`: the previous generation's start up to {@link HOURS_AHEAD} ahead. */
export function hoursWanted(now: number): number[] {
  const hours: number[] = [];
  for (
    let h = generationOf(now) - GENERATION_MS;
    h <= hourOf(now) + HOURS_AHEAD * HOUR_MS;
    h += HOUR_MS
  ) {
    hours.push(h);
  }
  return hours;
}

/** The names of `dedupe_ids`' partitions ($1: the table), from the catalogue. */
export const LIST_HOURS = `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
  WHERE i.inhparent = $1::regclass`;

/** The hours of {@link LIST_HOURS}' rows that are hour partitions, oldest first. */
function hoursOf(rows: ReadonlyArray<{ name: string }>): number[] {
  return rows
    .map((r) => hourOfPartition(r.name))
    .filter((h): h is number => h !== undefined)
    .sort((a, b) => a - b);
}

/** The oldest hour of {@link LIST_HOURS}' rows; undefined when there is no hour partition. */
export function oldestHour(rows: ReadonlyArray<{ name: string }>): number | undefined {
  return hoursOf(rows)[0];
}

/** The hours that have a partition, oldest first, read from the catalogue. */
export async function listHours(dataSource: Queryable): Promise<number[]> {
  return hoursOf((await dataSource.query(LIST_HOURS, [DEDUPE_TABLE])) as Array<{ name: string }>);
}

/** Creates the partition of `hourMs` unless present; true when this call created it. */
export async function createHourPartition(
  dataSource: DataSource,
  hourMs: number,
): Promise<boolean> {
  const name = partitionName(hourMs);
  const from = lowestKey(hourMs);
  const to = lowestKey(hourMs + HOUR_MS);
  return locked(dataSource, async (manager) => {
    const [{ present }] = await manager.query('SELECT to_regclass($1) IS NOT NULL AS present', [
      name,
    ]);
    if (present) return false;
    // Keys of this hour may sit in the default partition (claimed while it had no partition);
    // PostgreSQL refuses the new partition until they are moved out.
    const [{ waiting }] = await manager.query(
      `SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION} WHERE key >= $1 AND key < $2) AS waiting`,
      [from, to],
    );
    if (waiting) {
      await manager.query(`CREATE TEMP TABLE dedupe_ids_moving (key uuid) ON COMMIT DROP`);
      await manager.query(
        `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE key >= $1 AND key < $2 RETURNING key)
         INSERT INTO dedupe_ids_moving SELECT key FROM moved`,
        [from, to],
      );
    }
    // Bounds come from a number, never from input text: DDL takes no parameters.
    await manager.query(
      `CREATE TABLE "${name}" PARTITION OF ${DEDUPE_TABLE} FOR VALUES FROM ('${from}') TO ('${to}')`,
    );
    if (waiting)
      await manager.query(`INSERT INTO ${DEDUPE_TABLE} SELECT key FROM dedupe_ids_moving`);
    return true;
  });
}

/** Drops the partition of `hourMs` (a whole hour of ids at once, no row deleted). */
export async function dropHourPartition(dataSource: DataSource, hourMs: number): Promise<void> {
  await locked(dataSource, (manager) =>
    manager.query(`DROP TABLE IF EXISTS "${partitionName(hourMs)}"`),
  );
}

/**
 * Deletes the default partition's keys older than `beforeMs` (ids of a client clock far behind:
 * past the window already); returns how many. Only when there are any, so that a normal run
 * issues no DELETE at all.
 */
export async function expireDefaultPartition(
  dataSource: DataSource,
  beforeMs: number,
): Promise<number> {
  const bound = lowestKey(Math.max(0, beforeMs));
  const [{ stale }] = await dataSource.query(
    `SELECT EXISTS (SELECT 1 FROM ${DEFAULT_PARTITION} WHERE key < $1) AS stale`,
    [bound],
  );
  if (!stale) return 0;
  const [{ deleted }] = await dataSource.query(
    `WITH gone AS (DELETE FROM ${DEFAULT_PARTITION} WHERE key < $1 RETURNING 1)
     SELECT count(*)::int AS deleted FROM gone`,
    [bound],
  );
  return deleted as number;
}

function locked<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SET LOCAL lock_timeout = '${DDL_LOCK_TIMEOUT}'`);
    await manager.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
    return work(manager);
  });
}
