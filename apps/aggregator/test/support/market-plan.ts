/**
 * Known ticks and orders for the aggregator's crash spec, and what `candles_1m` and `sales_daily`
 * must hold for them, computed here independently of the app.
 */
import { randomBytes, randomInt } from 'node:crypto';

/** One `POST /v1/ticks` body. */
export interface PlannedTick {
  readonly eventId: string;
  readonly symbol: string;
  readonly price: number;
  readonly volume: number;
  readonly occurredAt: string;
}

/** One `POST /v1/orders` body. */
export interface PlannedOrder {
  readonly eventId: string;
  readonly orderId: string;
  readonly storeId: string;
  readonly productId: string;
  readonly quantity: number;
  readonly amount: number;
  readonly occurredAt: string;
}

/** A one-minute candle as the test computes it; the key is `symbol|openTime ISO`. */
export interface ExpectedCandle {
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly trades: number;
}

/** Sales of one (day, store, product); the key is `day|store|product`, amounts in cents (exact). */
export interface ExpectedSales {
  readonly quantity: number;
  readonly amountCents: number;
}

const MINUTE_MS = 60_000;

/**
 * `symbols` symbols with `perSymbol` ticks each, every tick of a symbol at its own millisecond (so
 * open and close never depend on the receipt-time tie-break), prices with two decimals.
 */
export function planTicks(
  symbols: number,
  perSymbol: number,
): { ticks: PlannedTick[]; candles: Map<string, ExpectedCandle> } {
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const base = Date.UTC(2040 + randomInt(20), randomInt(12), 1 + randomInt(28), 9, 30);
  const ticks: PlannedTick[] = [];
  const candles = new Map<string, ExpectedCandle>();
  for (let s = 0; s < symbols; s++) {
    const symbol = `K${tag}.${s}`;
    for (let k = 0; k < perSymbol; k++) {
      const at = base + k * 997 + s;
      const price = (10_000 + randomInt(5_000)) / 100;
      const volume = 1 + randomInt(500);
      ticks.push({
        eventId: `${symbol}-t${k}`,
        symbol,
        price,
        volume,
        occurredAt: new Date(at).toISOString(),
      });
      const key = `${symbol}|${new Date(Math.floor(at / MINUTE_MS) * MINUTE_MS).toISOString()}`;
      const candle = candles.get(key);
      // Ticks of a symbol are generated in time order: the first of a minute opens, the last closes.
      candles.set(
        key,
        candle === undefined
          ? { open: price, high: price, low: price, close: price, volume, trades: 1 }
          : {
              open: candle.open,
              high: Math.max(candle.high, price),
              low: Math.min(candle.low, price),
              close: price,
              volume: candle.volume + volume,
              trades: candle.trades + 1,
            },
      );
    }
  }
  return { ticks: shuffled(ticks), candles };
}

/** `count` orders over `stores` × `products` keys on two UTC days, amounts with two decimals. */
export function planOrders(
  count: number,
  stores: number,
  products: number,
): { orders: PlannedOrder[]; sales: Map<string, ExpectedSales> } {
  const tag = randomBytes(3).toString('hex');
  const base = Date.UTC(2040 + randomInt(20), randomInt(12), 1 + randomInt(27), 22);
  const orders: PlannedOrder[] = [];
  const sales = new Map<string, ExpectedSales>();
  for (let i = 0; i < count; i++) {
    const storeId = `store-${tag}-${randomInt(stores)}`;
    const productId = `product-${randomInt(products)}`;
    const quantity = 1 + randomInt(5);
    const amountCents = randomInt(100_000);
    const at = new Date(base + randomInt(4 * 3_600_000)); // 22:00 to 02:00 UTC: two days
    orders.push({
      eventId: `order-${tag}-${i}`,
      orderId: `o-${tag}-${i}`,
      storeId,
      productId,
      quantity,
      amount: amountCents / 100,
      occurredAt: at.toISOString(),
    });
    const key = `${at.toISOString().slice(0, 10)}|${storeId}|${productId}`;
    const entry = sales.get(key) ?? { quantity: 0, amountCents: 0 };
    sales.set(key, {
      quantity: entry.quantity + quantity,
      amountCents: entry.amountCents + amountCents,
    });
  }
  return { orders, sales };
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
