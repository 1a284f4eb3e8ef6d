import type { StreamName } from '@lib/contracts';
import { createHash } from 'node:crypto';

/** The stream other teams consume (docs/contract.md): key `storeId`. */
export const POPULAR_PRODUCTS_STREAM: StreamName = 'popular-products';

/** One ranked product of a store's day. */
export interface PopularProduct {
  /** 1 = most popular. */
  readonly rank: number;
  readonly productId: string;
  readonly quantity: number;
  readonly amount: number;
}

/** A store's top products for one UTC day, as stored, served and published. */
export interface PopularProductsSnapshot {
  readonly storeId: string;
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  /** When this content was first computed (ISO-8601); unchanged while the content is unchanged. */
  readonly generatedAt: string;
  readonly products: readonly PopularProduct[];
}

/** The message payload on `popular-products`: the snapshot plus its deterministic `eventId`. */
export interface PopularProductsMessage extends PopularProductsSnapshot {
  readonly eventId: string;
}

/** A hash of what a snapshot says (date, store and ranked products; not when it was computed). */
export function contentHashOf(
  date: string,
  storeId: string,
  products: readonly PopularProduct[],
): string {
  return createHash('sha256')
    .update(JSON.stringify([date, storeId, products]))
    .digest('hex');
}

/**
 * The `eventId` of the message that publishes one content of one store's day: the same content is
 * always published under the same id (a re-run after a failure, a second instance), so consumers
 * remove repeats by `eventId`; changed content gets a new id. 48 characters, within the 100 of
 * docs/contract.md whatever the store id's length.
 */
export function popularProductsEventId(date: string, storeId: string, contentHash: string): string {
  const digest = createHash('sha256').update(`${date}\n${storeId}\n${contentHash}`).digest('hex');
  return `pp-${digest.slice(0, 45)}`;
}
