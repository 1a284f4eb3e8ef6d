import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { QueryRunner } from 'typeorm';
import { raiseSketchBytes } from '../hll/raise-sketch-bytes';
import { packSketches, unpackedSketch } from '../hll/packed-sketches';
import type { OwnedVisitorUpdates } from './visitor-updates.codec';

/** The sketch table (migration PageVisitorSketches). */
export const PAGE_VISITORS_DAILY = 'page_visitors_daily';

/**
 * Locks the stored sketches of the batch's keys, in the order given (key order), and returns their
 * row ids and bytes, each with its key's position in the input. The LATERAL subquery holds the
 * locking clause, so the planner cannot flatten it into a join: every key is one primary-key
 * probe. As a plain join the planner hashed the whole table (it costs a probe as a random read):
 * a sequential scan of every stored row of every day at each merge.
 */
const LOCK_STORED =
  'SELECT u.n::int AS n, t.ctid::text AS row_id, t.hll ' +
  'FROM unnest($1::date[], $2::text[]) WITH ORDINALITY AS u(day, page_id, n) ' +
  `CROSS JOIN LATERAL (SELECT s.ctid, s.hll FROM ${PAGE_VISITORS_DAILY} AS s ` +
  'WHERE s.day = u.day AND s.page_id = u.page_id FOR UPDATE) AS t';

/**
 * Sets the merged sketch of rows locked above, found by row id (the locks keep the ids stable
 * until commit): one row version each. Run without sequential scans, see {@link withoutSeqScan}.
 */
const UPDATE_STORED =
  `UPDATE ${PAGE_VISITORS_DAILY} AS t SET hll = ${unpackedSketch('$4')} ` +
  'FROM unnest($1::tid[], $2::int[], $3::int[]) AS u(row_id, start, length) ' +
  'WHERE t.ctid = u.row_id';

/** Inserts new keys; returns those inserted (a key another merge inserted meanwhile is not). */
const INSERT_NEW =
  `INSERT INTO ${PAGE_VISITORS_DAILY} (day, page_id, hll) ` +
  `SELECT u.day, u.page_id, ${unpackedSketch('$5')} ` +
  'FROM unnest($1::date[], $2::text[], $3::int[], $4::int[]) AS u(day, page_id, start, length) ' +
  'ON CONFLICT (day, page_id) DO NOTHING RETURNING day::text AS day, page_id';

/**
 * Sketches merged between two turns of the event loop: a merge of a busy second holds thousands,
 * and merging them in one go kept the loop from the consumer and the flush for tens of ms.
 */
const KEYS_PER_TURN = 500;

interface StoredRow {
  /** 1-based position of the row's key in the locked batch. */
  n: number;
  row_id: string;
  hll: Buffer;
}

/**
 * Adds the batch's visitors to the stored sketches of their keys, inside the caller's
 * transaction, with at most one row version per key: the stored sketches are locked
 * (`SELECT … FOR UPDATE`, no row version) and read, merged here (PostgreSQL can neither union
 * our sorted hashes nor take the register-wise maximum of our byte format), and written back by
 * one UPDATE when a visitor was new to an exact sketch or a register rose; new keys are inserted. `batch` must be in key order (day, then page id) with one entry
 * per key: all row locks are taken by one statement in that order, so concurrent merges (several
 * instances) wait for each other instead of deadlocking, and none loses the other's visitors.
 * Sorts each entry's hashes in place (they are its own: groupByKey makes them).
 */
export async function mergeVisitorSketches(
  runner: QueryRunner,
  batch: readonly OwnedVisitorUpdates[],
): Promise<void> {
  let pending = batch;
  // Each round either writes a key or finds it inserted by another merge, which the next round
  // then updates; a third round would need a key deleted meanwhile (a rebuild of its day).
  for (let round = 0; pending.length > 0; round++) {
    if (round === 3)
      throw new Error(`${PAGE_VISITORS_DAILY}: ${pending.length} keys still racing after 3 rounds`);
    pending = await mergeRound(runner, pending);
  }
}

/** One lock-update-insert round; returns the keys another merge inserted meanwhile. */
async function mergeRound(
  runner: QueryRunner,
  batch: readonly OwnedVisitorUpdates[],
): Promise<OwnedVisitorUpdates[]> {
  const stored = (await runner.query(LOCK_STORED, [
    batch.map((entry) => entry.day),
    batch.map((entry) => entry.pageId),
  ])) as StoredRow[];
  const storedAt = new Array<StoredRow | undefined>(batch.length);
  for (const row of stored) storedAt[row.n - 1] = row;
  const updateIds: string[] = [];
  const updateSketches: Buffer[] = [];
  const inserting: OwnedVisitorUpdates[] = [];
  const insertSketches: Buffer[] = [];
  for (let i = 0; i < batch.length; i++) {
    if (i > 0 && i % KEYS_PER_TURN === 0) await yieldToEventLoop();
    const entry = batch[i];
    const current = storedAt[i];
    if (entry.hashes.length === 0 && entry.legacyUpdates.length === 0) continue;
    // A stored sketch that does not decode throws: the merge fails and is retried rather than
    // overwriting what is there.
    const sketch = raiseSketchBytes(current?.hll ?? null, entry.hashes, entry.legacyUpdates);
    if (sketch === null) continue; // no new visitor (or no register rose): the row stays as it is
    if (current) {
      updateIds.push(current.row_id);
      updateSketches.push(sketch);
    } else {
      inserting.push(entry);
      insertSketches.push(sketch);
    }
  }
  if (updateIds.length > 0) {
    const packed = packSketches(updateSketches);
    await withoutSeqScan(runner, () =>
      runner.query(UPDATE_STORED, [updateIds, packed.starts, packed.lengths, packed.bytes]),
    );
  }
  if (inserting.length === 0) return [];
  const packed = packSketches(insertSketches);
  const inserted = (await runner.query(INSERT_NEW, [
    inserting.map((entry) => entry.day),
    inserting.map((entry) => entry.pageId),
    packed.starts,
    packed.lengths,
    packed.bytes,
  ])) as Array<{ day: string; page_id: string }>;
  if (inserted.length === inserting.length) return [];
  const done = new Set(inserted.map((row) => `${row.day}|${row.page_id}`));
  return inserting.filter((entry) => !done.has(`${entry.day}|${entry.pageId}`));
}

/**
 * Runs `statement` with sequential scans disabled for it alone (restored after, within the
 * transaction). A join of the batch's row ids with the table is planned as a hash join over a
 * sequential scan of the whole table once the batch touches a fair share of its rows (the
 * planner costs each row-id fetch as a random read); fetching each row by its id is what
 * actually costs least, and it does not grow with the table.
 */
async function withoutSeqScan<T>(runner: QueryRunner, statement: () => Promise<T>): Promise<T> {
  const [{ was }] = (await runner.query(
    "SELECT current_setting('enable_seqscan') AS was, set_config('enable_seqscan', 'off', true)",
  )) as Array<{ was: string }>;
  const result = await statement();
  await runner.query("SELECT set_config('enable_seqscan', $1, true)", [was]);
  return result;
}
