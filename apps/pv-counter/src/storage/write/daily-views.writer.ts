import type { QueryRunner } from 'typeorm';
import { shardOf } from '../merge/merge-shards';
import { appendVisitorUpdates } from '../merge/visitor-updates.store';
import { appendViewUpdates } from '../merge/view-updates.store';
import type { VisitorUpdates } from '../merge/visitor-updates.codec';
import { trailUpdates, type DailyPageViews } from './daily-page-views';

export { PAGE_VIEWS_DAILY } from '../merge/view-updates.store';

/**
 * Writes one flush inside its transaction (the work queue's BatchWriter, with the offsets and the
 * claimed event ids): the views are recorded as one row of `page_view_updates` per day and shard
 * for the view merge (ViewCountMerger), and the visitors as one row of `page_visitor_updates` per
 * shard for the sketch merge (VisitorSketchMerger). The flush touches no row of the count or sketch tables.
 *
 * Why the views wait: upserting every page of every flush wrote one row version per page ten
 * times a second; the merge writes one per page per VIEW_MERGE_INTERVAL_MS, however many views
 * arrive. Counting stays exactly-once because the row is written with the offsets and the event
 * ids, and the read API adds waiting rows, so a view is visible as soon as its flush commits.
 *
 * Why the visitors wait: merging into a sketch is idempotent, so they only need to be durable by
 * the time the offsets are; the flush then never reads or rewrites a sketch (a busy page's is
 * 16 KiB), and a sketch is rewritten once per sketch merge instead of once per flush.
 *
 * The batch comes in key order (the work queue sorts it), which the view row keeps.
 */
export async function writeDailyViews(
  runner: QueryRunner,
  batch: readonly DailyPageViews[],
): Promise<void> {
  if (batch.length === 0) return;
  // Each key's shard once: both rows are split by it (a native hash call per key and flush).
  const shards = batch.map((row) => shardOf(row.pageId));
  const visitors: VisitorUpdates[] = [];
  const visitorShards: number[] = [];
  for (let i = 0; i < batch.length; i++) {
    const row = batch[i];
    if (row.visitors === undefined) continue;
    visitors.push({ day: row.day, pageId: row.pageId, hashes: trailUpdates(row.visitors) });
    visitorShards.push(shards[i]);
  }
  await appendViewUpdates(runner, batch, shards);
  await appendVisitorUpdates(runner, visitors, visitorShards);
}
