import { contentHashOf, popularProductsEventId } from './popular-products.snapshot';

const products = [
  { rank: 1, productId: 'p-1', quantity: 5, amount: 12.5 },
  { rank: 2, productId: 'p-2', quantity: 3, amount: 4 },
];

describe('popular-products snapshot identity', () => {
  it('gives the same content the same hash and eventId, and any change a new one', () => {
    const hash = contentHashOf('2026-05-06', 's-1', products);
    expect(
      contentHashOf(
        '2026-05-06',
        's-1',
        products.map((p) => ({ ...p })),
      ),
    ).toBe(hash);
    const id = popularProductsEventId('2026-05-06', 's-1', hash);
    expect(popularProductsEventId('2026-05-06', 's-1', hash)).toBe(id);
    const changed = contentHashOf('2026-05-06', 's-1', [
      { ...products[0], quantity: 6 },
      products[1],
    ]);
    expect(changed).not.toBe(hash);
    expect(popularProductsEventId('2026-05-06', 's-1', changed)).not.toBe(id);
    expect(popularProductsEventId('2026-05-07', 's-1', hash)).not.toBe(id);
    expect(popularProductsEventId('2026-05-06', 's-2', hash)).not.toBe(id);
  });

  it('keeps eventIds within the 100 characters of the contract, whatever the store id', () => {
    const id = popularProductsEventId('2026-05-06', 'x'.repeat(100), 'h');
    expect(id.length).toBeLessThanOrEqual(100);
    expect(id).toMatch(/^pp-[0-9a-f]{45}$/);
  });
});
