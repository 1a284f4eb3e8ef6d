import { checkPayload, type PartitionOffset, type StreamLogBatch } from '@lib/queue';
import { withReceivedAt } from '@lib/contracts';
import { HyperLogLog, visitorUpdate } from '../storage';
import { utcDay } from '@lib/contracts';
import { pageViewPayload } from '../page-views/page-view-payload';

/** One page's recounted day. */
export interface RecountedPage {
  views: number;
  /** Absent when no view of the page named a visitor (the live path then leaves `hll` NULL too). */
  sketch?: HyperLogLog;
}

/** A view of the day read past its partition's limit, held until the limit passes it. */
interface HeldView {
  readonly offset: bigint;
  readonly eventId: string;
  readonly pageId: string;
  /** The visitor's hash (`visitorUpdate`). */
  readonly visitor?: bigint;
}

interface PartitionState {
  /** Next offset the log will hand over. */
  cursor: bigint;
  /** Records below this are counted; at and above it they are held (the live path has not committed them). */
  limit: bigint;
  held: HeldView[];
}

/** What a recount saw, for the response and logs. */
export interface RecountStats {
  /** Records read from the log (every day, every partition). */
  records: number;
  /** Views of the day counted (duplicates excluded). */
  views: number;
  /** Views of the day whose eventId was counted already. */
  duplicates: number;
  /** Records that were not a valid page view (the live path dead-letters them). */
  invalid: number;
}

/**
 * Counts one UTC day (by `occurredAt`) from the `page-views` log, the way the live path does:
 * one view per valid event, de-duplicated by `eventId`, visitors in the same sketch with the same
 * hashing (exact up to EXACT_LIMIT visitors, HyperLogLog registers of them all beyond; so an
 * untouched day rebuilds to the very same sketch bytes).
 *
 * Each partition has a limit: the offset up to which the live path has committed. Views below it
 * are counted; views at or past it are held in memory (only the day's, a few fields each) until
 * the limit is raised past them. The rebuild reads the log well ahead of the lock and then only
 * raises the limits to the offsets committed at the swap, so what it counts is exactly what the
 * live counts it replaces were made of.
 *
 * Memory: the event ids of the day, about 80 MB per million views (36-character ids in a Set),
 * plus one entry per page and a sketch per visited page (up to about 50 KB while exact, a Set of
 * up to 1,000 hashes, and 16 KiB once dense).
 */
export class DayRecount {
  readonly pages = new Map<string, RecountedPage>();
  private readonly seen = new Set<string>();
  private readonly partitions = new Map<number, PartitionState>();
  private readonly stats: RecountStats = { records: 0, views: 0, duplicates: 0, invalid: 0 };

  constructor(
    readonly date: string,
    from: readonly PartitionOffset[],
    limits: ReadonlyMap<number, bigint>,
  ) {
    for (const { partition, offset } of from) {
      this.partitions.set(partition, {
        cursor: BigInt(offset),
        limit: limits.get(partition) ?? 0n,
        held: [],
      });
    }
  }

  /** The log follower's callback: counts or holds the day's views of one batch. */
  add(batch: StreamLogBatch): void {
    const state = this.partitions.get(batch.partition);
    if (state === undefined) return;
    this.stats.records += batch.events.length + batch.malformed;
    this.stats.invalid += batch.malformed;
    for (const event of batch.events) {
      // The record time only when the payload lacks receivedAt: the metadata is decoded on demand.
      const payload =
        (event.payload as { receivedAt?: unknown }).receivedAt === undefined
          ? withReceivedAt(event.payload, batch.metadataOf(event).timestamp)
          : event.payload;
      const parsed = checkPayload(pageViewPayload, payload);
      if (!parsed.ok) {
        this.stats.invalid++;
        continue;
      }
      const view = parsed.value;
      if (utcDay(view.occurredAt) !== this.date) continue;
      const held: HeldView = {
        offset: BigInt(event.position.offset),
        eventId: view.eventId,
        pageId: view.pageId,
        visitor: view.visitorId === undefined ? undefined : visitorUpdate(view.visitorId),
      };
      if (held.offset < state.limit) this.count(held);
      else state.held.push(held);
    }
    state.cursor = BigInt(batch.nextOffset);
  }

  /** Raises partitions' limits and counts the held views now below them; a limit never goes down. */
  raiseLimits(limits: ReadonlyMap<number, bigint>): void {
    for (const [partition, limit] of limits) {
      const state = this.partitions.get(partition);
      if (state === undefined)
        throw new Error(`partition ${partition} of page-views is not being read`);
      if (limit < state.limit)
        throw new Error(
          `the committed offset of page-views[${partition}] went back from ${state.limit} to ${limit}`,
        );
      state.limit = limit;
      if (state.held.length === 0) continue;
      const still: HeldView[] = [];
      for (const held of state.held) {
        if (held.offset < limit) this.count(held);
        else still.push(held);
      }
      state.held = still;
    }
  }

  /** Offsets still to read before every partition reached its limit (0 when all did). */
  behind(): bigint {
    let sum = 0n;
    for (const state of this.partitions.values())
      if (state.cursor < state.limit) sum += state.limit - state.cursor;
    return sum;
  }

  /** The offsets read so far, per partition. */
  cursors(): PartitionOffset[] {
    return [...this.partitions].map(([partition, state]) => ({
      partition,
      offset: state.cursor.toString(),
    }));
  }

  /** The limits now in force, per partition. */
  limits(): PartitionOffset[] {
    return [...this.partitions].map(([partition, state]) => ({
      partition,
      offset: state.limit.toString(),
    }));
  }

  summary(): RecountStats & { pages: number } {
    return { ...this.stats, pages: this.pages.size };
  }

  private count(view: HeldView): void {
    if (this.seen.has(view.eventId)) {
      this.stats.duplicates++;
      return;
    }
    this.seen.add(view.eventId);
    this.stats.views++;
    let page = this.pages.get(view.pageId);
    if (page === undefined) {
      page = { views: 0 };
      this.pages.set(view.pageId, page);
    }
    page.views++;
    if (view.visitor !== undefined) (page.sketch ??= new HyperLogLog()).apply(view.visitor);
  }
}
