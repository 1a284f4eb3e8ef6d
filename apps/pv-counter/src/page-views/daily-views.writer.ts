import type { QueryRunner } from 'typeorm';
import { raiseSketchBytes } from '../hll/raise-sketch-bytes';
import { trailUpdates, type DailyPageViews } from './daily-views';

/** The table (migration PageViewsDaily). */
export const PAGE_VIEWS_DAILY = 'page_views_daily';

/** Locks the stored rows of the flush's keys (in key order) and returns their sketches. */
const LOCK_STORED =
  `SELECT t.day::text AS day, t.page_id, t.hll FROM ${PAGE_VIEWS_DAILY} AS t ` +
  'JOIN unnest($1::date[], $2::text[]) AS u(day, page_id) ON t.day = u.day AND t.page_id = u.page_id ' +
  'ORDER BY t.day, t.page_id FOR UPDATE OF t';

/** Adds the views and sets the merged sketch (NULL: unchanged) of locked rows: one row version each. */
const UPDATE_STORED =
  `UPDATE ${PAGE_VIEWS_DAILY} AS t SET views = t.views + u.views, hll = coalesce(u.hll, t.hll) ` +
  'FROM unnest($1::date[], $2::text[], $3::bigint[], $4::bytea[]) AS u(day, page_id, views, hll) ' +
  'WHERE t.day = u.day AND t.page_id = u.page_id';

/** Inserts new keys; returns those inserted (a key another instance inserted meanwhile is not). */
const INSERT_NEW =
  `INSERT INTO ${PAGE_VIEWS_DAILY} (day, page_id, views, hll) ` +
  'SELECT * FROM unnest($1::date[], $2::text[], $3::bigint[], $4::bytea[]) ' +
  'ON CONFLICT (day, page_id) DO NOTHING RETURNING day::text AS day, page_id';

interface StoredRow {
  day: string;
  page_id: string;
  hll: Buffer | null;
}

/** Columns of one statement, in unnest order. */
interface Columns {
  days: string[];
  pages: string[];
  views: string[];
  sketches: Array<Buffer | null>;
}

const columns = (): Columns => ({ days: [], pages: [], views: [], sketches: [] });

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
  const storedByKey = new Map(stored.map((row) => [keyOf(row.day, row.page_id), row]));
  const update = columns();
  const insert = columns();
  const inserting: DailyPageViews[] = [];
  for (const row of batch) {
    const current = storedByKey.get(keyOf(row.day, row.pageId));
    const target = current ? update : insert;
    if (!current) inserting.push(row);
    // A stored sketch that does not decode throws: the flush fails and is retried rather than
    // overwriting what is there. NULL for a stored row: its sketch is unchanged.
    const sketch =
      row.visitors === undefined ? null : raiseSketchBytes(current?.hll ?? null, trailUpdates(row.visitors));
    target.days.push(row.day);
    target.pages.push(row.pageId);
    target.views.push(String(row.views));
    target.sketches.push(sketch);
  }
  if (update.days.length > 0) {
    await runner.query(UPDATE_STORED, [update.days, update.pages, update.views, update.sketches]);
  }
  if (inserting.length === 0) return [];
  const inserted = (await runner.query(INSERT_NEW, [
    insert.days,
    insert.pages,
    insert.views,
    insert.sketches,
  ])) as Array<{ day: string; page_id: string }>;
  if (inserted.length === inserting.length) return [];
  const done = new Set(inserted.map((row) => keyOf(row.day, row.page_id)));
  return inserting.filter((row) => !done.has(keyOf(row.day, row.pageId)));
}

function keyOf(day: string, pageId: string): string {
  return `${day}|${pageId}`;
}
