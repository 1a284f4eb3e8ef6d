import { utcDay } from '@lib/contracts';
import type { IncomingEvent } from '@lib/queue';
import { addDecimal, decimalOf, type Decimal } from './decimal-sum';
import type { OrderPayload } from './order-payload';

/** The aggregate of one (UTC day, store, product) in a flush: quantity and amount to add. */
export interface DailySales {
  /** `YYYY-MM-DD`, the UTC day of `occurredAt`. */
  readonly day: string;
  readonly storeId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly amount: Decimal;
}

/**
 * The work-queue key: day, store and product. Ids may contain any character, so the store id is
 * length-prefixed: `a|b` + `c` and `a` + `b|c` must not share a key.
 */
export function dailySalesKeyOf(
  event: IncomingEvent<OrderPayload>,
  value: Pick<DailySales, 'day' | 'storeId' | 'productId'> = dailySalesOf(event),
): string {
  const { day, storeId, productId } = value;
  return `${day}|${storeId.length}:${storeId}|${productId}`;
}

/** One order's contribution. */
export function dailySalesOf(event: IncomingEvent<OrderPayload>): DailySales {
  const { storeId, productId, quantity, amount, occurredAt } = event.payload;
  return { day: utcDay(occurredAt), storeId, productId, quantity, amount: decimalOf(amount) };
}

/** Combines two aggregates of one key without mutating either. */
export function mergeDailySales(older: DailySales, newer: DailySales): DailySales {
  return {
    day: older.day,
    storeId: older.storeId,
    productId: older.productId,
    quantity: older.quantity + newer.quantity,
    amount: addDecimal(older.amount, newer.amount),
  };
}
