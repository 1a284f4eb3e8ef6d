import type { IncomingEvent } from '@lib/queue';
import { dailySalesKeyOf, dailySalesOf, mergeDailySales } from './daily-sales';
import { decimalText } from './decimal-sum';
import type { OrderPayload } from './order-payload';

function event(payload: Partial<OrderPayload>): IncomingEvent<OrderPayload> {
  const position = { topic: 'orders', partition: 0, offset: '0' };
  const full = {
    eventId: 'e',
    orderId: 'o',
    storeId: 's',
    productId: 'p',
    quantity: 1,
    amount: 0.1,
    occurredAt: '2026-03-01T10:00:00Z',
    ...payload,
  } as OrderPayload;
  return { stream: 'orders', eventId: full.eventId, payload: full, position };
}

describe('daily sales aggregation', () => {
  it('keys by UTC day, store and product, with no collision between ids that contain the separator', () => {
    expect(dailySalesKeyOf(event({ occurredAt: '2026-03-01T23:30:00-02:00' }))).toBe(
      '2026-03-02|1:s|p',
    );
    expect(dailySalesKeyOf(event({ storeId: 'a|b', productId: 'c' }))).not.toBe(
      dailySalesKeyOf(event({ storeId: 'a', productId: 'b|c' })),
    );
  });

  it('adds quantities and amounts exactly without mutating either side', () => {
    const a = dailySalesOf(event({ quantity: 2, amount: 0.1 }));
    const b = dailySalesOf(event({ quantity: 3, amount: 0.2 }));
    const merged = mergeDailySales(a, b);
    expect(merged.quantity).toBe(5);
    expect(decimalText(merged.amount)).toBe('0.3');
    expect(a.quantity).toBe(2);
    expect(decimalText(a.amount)).toBe('0.1');
  });
});
