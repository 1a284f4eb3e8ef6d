import type { QueryRunner } from 'typeorm';
import { raiseSketchBytes } from '../hll/raise-sketch-bytes';
import { trailUpdates, type DailyPageViews } from './daily-views';
import { packSketches, unpackedSketch } from './packed-sketches';

/** The table (migration PageViewsDaily). */
export const PAGE_VIEWS_DAILY = 'page_views_daily';

/**
 * Locks the stored rows of the flush's keys, in the order given (key order), and returns their
 * row ids and sketches, each with its key's position in the input. The LATERAL subquery holds the
 * locking clause, so the planner cannot flatten it into a join: every key is one primary-key
 * probe. As a plain join the planner hashed the whole table (it costs a probe as a random read):
 * a sequential scan of every stored row of every day at each flush, so a flush's cost grew with
 * the table instead of with the flush.
 */
const LOCK_STORED =
  'SELECT u.n::int AS n, t.ctid::text AS row_id, t.hll ' +
  'FROM unnest($1::date[], $2::text[]) WITH ORDINALITY AS u(day, page_id, n) ' +
  `CROSS JOIN LATERAL (SELECT s.ctid, s.hll FROM ${PAGE_VIEWS_DAILY} AS s ` +
  'WHERE s.day = u.day AND s.page_id = u.page_id FOR UPDATE) AS t';

/**
 * Adds the views and sets the merged sketch (NULL: unchanged) of rows locked above, found by row id
 * (the locks keep the ids stable until commit): one row version each. Run without sequential
 * scans, see {@link withoutSeqScan}.
 */
const UPDATE_STORED =
  `UPDATE ${PAGE_VIEWS_DAILY} AS t SET views = t.views + u.views, hll = coalesce(${unpackedSketch('$5')}, t.hll) ` +
  'FROM unnest($1::tid[], $2::bigint[], $3::int[], $4::int[]) AS u(row_id, views, start, length) ' +
  'WHERE t.ctid = u.row_id';

/** Inserts new keys; returns those inserted (a key another instance inserted meanwhile is not). */
const INSERT_NEW =
  `INSERT INTO ${PAGE_VIEWS_DAILY} (day, page_id, views, hll) ` +
  `SELECT u.day, u.page_id, u.views, ${unpackedSketch('$6')} ` +
  'FROM unnest($1::date[], $2::text[], $3::bigint[], $4::int[], $5::int[]) AS u(day, page_id, views, start, length) ' +
  'ON CONFLICT (day, page_id) DO NOTHING RETURNING day::text AS day, page_id';

interface StoredRow {
  /** 1-based position of the row's key in the locked batch. */
  n: number;
  row_id: string;
  hll: Buffer | null;
}

/** Columns of the UPDATE, in unnest order. */
interface UpdateColumns {
  rowIds: string[];
  views: string[];
  sketches: Array<Buffer | null>;
}

/** Columns of the INSERT, in unnest order. */
interface InsertColumns {
  days: string[];
  pages: string[];
  views: string[];
  sketches: Array<Buffer | null>;
}

/**
 * Writes one flush inside its transaction (the work queue's BatchWriter) with exactly one row
 * version per key: the stored rows of the flush's keys are locked (`SELECT … FOR UPDATE`, which
 * writes no row version), their sketches merged with the flush's visitors here (PostgreSQL cannot
 * take the register-wise maximum of our byte format), and one UPDATE adds the views and writes the
 * merged sketch; new keys are inserted with their sketch. Both statements touch no indexed
 * column, so the updates are HOT (see the migration): the table does not bloat under a busy day.
 *
 * Why not cache sketches in memory and write them blindly: another instance (a Kafka rebalance,
 * a second RabbitMQ consumer) or a restart would make the cache stale and lose its uniques.
 * Reading under the row lock in the same transaction is correct with any number of instances;
 * a key another instance inserted between our read and our insert is not inserted by us
 * (`DO NOTHING`) and goes through the lock-and-update path again.
 *
 * Why lock every stored key first, even one whose stored version this process wrote itself (an
 * `UPDATE … WHERE xmin = …` could skip the lock): all the flush's row locks are then taken by one
 * statement in key order. Updating the known rows first and locking the others after takes them in
 * two passes, and two instances sharing busy pages (competing RabbitMQ consumers) would deadlock
 * each other.
 */
export async function writeDailyViews(
  runner: QueryRunner,
  batch: readonly DailyPageViews[],
): Promise<void> {
  let pending = batch;
  // Each round either writes a key or finds it inserted by another instance, which the next
  // round then updates; a third round would need a key deleted meanwhile, which nothing does.
  for (let round = 0; pending.length > 0; round++) {
    if (round === 3) throw new Error(`page_views_daily: ${pending.length} keys still racing after 3 rounds`);
    pending = await writeRound(runner, pending);
  }
}

/** One lock-update-insert round; returns the keys another instance inserted meanwhile. */
async function writeRound(runner: QueryRunner, batch: readonly DailyPageViews[]): Promise<DailyPageViews[]> {
  const stored = (await runner.query(LOCK_STORED, [
    batch.map((row) => row.day),
    batch.map((row) => row.pageId),
  ])) as StoredRow[];
  const storedAt = new Array<StoredRow | undefined>(batch.length);
  for (const row of stored) storedAt[row.n - 1] = row;
  const update: UpdateColumns = { rowIds: [], views: [], sketches: [] };
  const insert: InsertColumns = { days: [], pages: [], views: [], sketches: [] };
  const inserting: DailyPageViews[] = [];
  for (let i = 0; i < batch.length; i++) {
    const row = batch[i];
    const current = storedAt[i];
    // A stored sketch that does not decode throws: the flush fails and is retried rather than
    // overwriting what is there. NULL for a stored row: its sketch is unchanged.
    const sketch =
      row.visitors === undefined ? null : raiseSketchBytes(current?.hll ?? null, trailUpdates(row.visitors));
    if (current) {
      update.rowIds.push(current.row_id);
      update.views.push(String(row.views));
      update.sketches.push(sketch);
    } else {
      inserting.push(row);
      insert.days.push(row.day);
      insert.pages.push(row.pageId);
      insert.views.push(String(row.views));
      insert.sketches.push(sketch);
    }
  }
  if (update.rowIds.length > 0) {
    const sketches = packSketches(update.sketches);
    const params = [update.rowIds, update.views, sketches.starts, sketches.lengths, sketches.bytes];
    await withoutSeqScan(runner, () => runner.query(UPDATE_STORED, params));
  }
  if (inserting.length === 0) return [];
  const sketches = packSketches(insert.sketches);
  const inserted = (await runner.query(INSERT_NEW, [
    insert.days,
    insert.pages,
    insert.views,
    sketches.starts,
    sketches.lengths,
    sketches.bytes,
  ])) as Array<{ day: string; page_id: string }>;
  if (inserted.length === inserting.length) return [];
  const done = new Set(inserted.map((row) => keyOf(row.day, row.page_id)));
  return inserting.filter((row) => !done.has(keyOf(row.day, row.pageId)));
}

function keyOf(day: string, pageId: string): string {
  return `${day}|${pageId}`;
}

/**
 * Runs `statement` with sequential scans disabled for it alone (restored after, within the
 * transaction). A join of the flush's row ids with the table is planned as a hash join over a
 * sequential scan of the whole table once the flush touches a fair share of its pages (the
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
