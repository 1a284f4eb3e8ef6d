import { xxh32 } from '@node-rs/xxhash';

/**
 * How many parts the pages are split into for the merges: each merge tick takes the waiting rows
 * of one part, so a merge interval's work is spread over that many ticks instead of landing at
 * once, while each page is still written once per interval.
 */
export const MERGE_SHARDS = 10;

/**
 * The part (0 to MERGE_SHARDS - 1) a page belongs to: flushes write a page's views and visitors
 * into rows of its part, and a read of one page looks only at those rows. Any stable hash does;
 * this one must never change while rows are waiting (they would be read in the wrong part).
 */
export function shardOf(pageId: string): number {
  return xxh32(pageId) % MERGE_SHARDS;
}

/**
 * Items `from`…`to` (exclusive) of `items` split by shard: list s holds, in their order, those
 * whose `shards[i]` is s (shardOf computed once per item by the caller).
 */
export function groupByShard<T>(
  items: readonly T[],
  shards: readonly number[],
  from = 0,
  to = items.length,
): T[][] {
  const lists: T[][] = Array.from({ length: MERGE_SHARDS }, () => []);
  for (let i = from; i < to; i++) lists[shards[i]].push(items[i]);
  return lists;
}
