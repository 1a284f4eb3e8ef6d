import { unnestUpsert } from '@lib/work-queue';
import type { QueryRunner } from 'typeorm';
import { HyperLogLog } from '../hll/hyperloglog';
import { applyTrail, type DailyPageViews } from './daily-views';

/** The table (migration PageViewsDaily). */
export const PAGE_VIEWS_DAILY = 'page_views_daily';

/** Adds views per (day, page); inserts a row with `hll` NULL for a new key. */
const upsertViews = unnestUpsert<DailyPageViews>({
  table: PAGE_VIEWS_DAILY,
  columns: [
    { name: 'day', type: 'date', value: (row) => row.day },
    { name: 'page_id', type: 'text', value: (row) => row.pageId },
    { name: 'views', type: 'bigint', value: (row) => String(row.views) },
  ],
  conflict: ['day', 'page_id'],
  update: { views: 'add' },
});

/**
 * The upsert, returning each row's stored sketch. `ON CONFLICT DO UPDATE` (and the insert)
 * locks every row it touches until the flush's transaction ends, so the sketch read here cannot
 * change under us before we write the merged one, whichever instance writes concurrently. Rows
 * come sorted by key (aggregate queues sort them), so concurrent flushes lock in the same order.
 */
const UPSERT_RETURNING_SKETCH = `${upsertViews.text} RETURNING day::text AS day, page_id, hll`;

const UPDATE_SKETCHES =
  `UPDATE ${PAGE_VIEWS_DAILY} AS t SET hll = u.hll ` +
  'FROM unnest($1::date[], $2::text[], $3::bytea[]) AS u(day, page_id, hll) ' +
  'WHERE t.day = u.day AND t.page_id = u.page_id';

interface ReturnedRow {
  day: string;
  page_id: string;
  hll: Buffer | null;
}

/**
 * Writes one flush inside its transaction (the work queue's BatchWriter): views are added by one
 * unnest upsert; visitor sketches are merged in the app, because PostgreSQL cannot take the
 * register-wise maximum of our byte format. The upsert returns the stored sketches (their rows now
 * locked), they are merged with the flush's visitors here, and one UPDATE writes back only the
 * sketches that changed (most visitors of a busy page change no register once it has many).
 *
 * Why not cache sketches in memory and write them blindly: another instance (a Kafka rebalance,
 * a second RabbitMQ consumer) or a restart would make the cache stale and lose its uniques.
 * Reading under the row lock in the same transaction is correct with any number of instances.
 * The price is a second row version for keys whose sketch changed; both updates touch no
 * indexed column, so both are HOT (see the migration).
 */
export async function writeDailyViews(
  runner: QueryRunner,
  batch: readonly DailyPageViews[],
): Promise<void> {
  if (batch.length === 0) return;
  const withVisitors = new Map<string, DailyPageViews>();
  for (const row of batch) if (row.visitors !== undefined) withVisitors.set(keyOf(row.day, row.pageId), row);
  if (withVisitors.size === 0) {
    await upsertViews.run(runner, batch);
    return;
  }
  const stored = (await runner.query(
    UPSERT_RETURNING_SKETCH,
    upsertViews.values(batch),
  )) as ReturnedRow[];
  const days: string[] = [];
  const pages: string[] = [];
  const sketches: Buffer[] = [];
  for (const row of stored) {
    const fresh = withVisitors.get(keyOf(row.day, row.page_id));
    if (fresh === undefined) continue;
    // A stored sketch that does not decode throws: the flush fails and is retried rather than
    // overwriting what is there.
    const sketch = row.hll === null ? new HyperLogLog() : HyperLogLog.fromBytes(row.hll);
    if (applyTrail(sketch, fresh.visitors!) || row.hll === null) {
      days.push(row.day);
      pages.push(row.page_id);
      sketches.push(sketch.toBytes());
    }
  }
  if (days.length > 0) await runner.query(UPDATE_SKETCHES, [days, pages, sketches]);
}

function keyOf(day: string, pageId: string): string {
  return `${day}|${pageId}`;
}
