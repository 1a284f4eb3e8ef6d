/**
 * The hashes of the visitors seen in one flush for one key, as a persistent tree: the
 * work queue's merge must not mutate its inputs (a failed batch is retried from them), and
 * concatenating arrays on every event would be quadratic for a busy page; joining two trails in a
 * node is O(1). Leaves are visitor hashes from `visitorUpdate`.
 */
export type VisitorTrail = bigint | { readonly older: VisitorTrail; readonly newer: VisitorTrail };

/** The aggregate of one (UTC day, page) in a flush: views to add and the visitors seen. */
export interface DailyPageViews {
  /** `YYYY-MM-DD`, the UTC day of `occurredAt`. */
  readonly day: string;
  readonly pageId: string;
  readonly views: number;
  /** Absent when no event of this key had a `visitorId`. */
  readonly visitors?: VisitorTrail;
}

/** Combines two aggregates of one key without mutating either. */
export function mergeDaily(older: DailyPageViews, newer: DailyPageViews): DailyPageViews {
  const visitors =
    older.visitors === undefined
      ? newer.visitors
      : newer.visitors === undefined
        ? older.visitors
        : { older: older.visitors, newer: newer.visitors };
  return { day: older.day, pageId: older.pageId, views: older.views + newer.views, visitors };
}

/**
 * The visitor hashes of a trail, oldest first (iteratively: a trail of a busy page is a deep
 * left-leaning tree).
 */
export function trailUpdates(trail: VisitorTrail): bigint[] {
  const updates: bigint[] = [];
  const stack: VisitorTrail[] = [trail];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node === 'bigint') updates.push(node);
    else stack.push(node.newer, node.older);
  }
  return updates;
}
