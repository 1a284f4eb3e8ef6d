/**
 * Orders → sales → popular-products export, end to end on a real Kafka broker (the test's own: it
 * is killed mid-run, and the aggregator's consumer group must not be shared with other test
 * files' aggregators) and throwaway PostgreSQL databases. Orders are published to `orders`, the
 * aggregator rolls them up per (day, store, product), the export (manual route or cron) publishes
 * one `popular-products` message per store, read back from the topic through the app's StreamLog
 * and compared with a top-N computed here from the orders.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import { EventPublisher, StreamLog, type EventMetadata, type IncomingEvent } from '@lib/queue';
import {
  createThrowawayDatabase,
  freeTcpPort,
  type KafkaBroker,
  startDedicatedKafka,
  uniqueName,
  waitFor,
} from '@test/support';
import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createAggregatorApp } from '../src/aggregator.app';

interface Order {
  eventId: string;
  orderId: string;
  storeId: string;
  productId: string;
  quantity: number;
  amount: number;
  occurredAt: string;
  receivedAt: string;
}

interface Product {
  rank: number;
  productId: string;
  quantity: number;
  amount: number;
}

interface Snapshot {
  storeId: string;
  date: string;
  generatedAt: string;
  products: Product[];
}

type Message = Snapshot & { eventId: string };

/** A JSON answer: a result or the contract's error body. */
type ResponseBody = { message?: string; details?: unknown; [field: string]: unknown };

const TOP_N = 3;

/** A day of its own, far from today (the cron test uses today). */
function randomDay(): string {
  return `20${40 + randomInt(50)}-0${1 + randomInt(9)}-1${randomInt(10)}`;
}

/**
 * Orders for `stores` stores on `day`: per store six products with 1-4 orders of 1-3 items at
 * amounts in quarters (exact in binary, so sums compare exactly), plus two products with equal
 * quantity and amount that lead the ranking, so the product-id tie-break is exercised.
 */
function planOrders(prefix: string, day: string, storeIds: readonly string[]): Order[] {
  const orders: Order[] = [];
  let n = 0;
  const add = (storeId: string, productId: string, quantity: number, amount: number) => {
    const at = `${day}T${String(n % 24).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}:00Z`;
    orders.push({
      eventId: `${prefix}-ev-${n}`,
      orderId: `${prefix}-o-${n}`,
      storeId,
      productId,
      quantity,
      amount,
      occurredAt: at,
      receivedAt: at,
    });
    n++;
  };
  for (const storeId of storeIds) {
    for (let p = 0; p < 6; p++) {
      for (let o = 1 + randomInt(4); o > 0; o--)
        add(storeId, `p-${p}`, 1 + randomInt(3), randomInt(40) * 0.25);
    }
    for (const productId of ['p-tie-b', 'p-tie-a']) {
      add(storeId, productId, 10, 7.5);
      add(storeId, productId, 10, 2.25);
    }
  }
  return orders;
}

/** The top-N per store, computed from the orders: quantity desc, amount desc, productId asc. */
function expectedTop(orders: readonly Order[]): Map<string, Product[]> {
  const sums = new Map<string, Map<string, { quantity: number; amount: number }>>();
  for (const order of orders) {
    let store = sums.get(order.storeId);
    if (!store) sums.set(order.storeId, (store = new Map()));
    const sum = store.get(order.productId) ?? { quantity: 0, amount: 0 };
    store.set(order.productId, {
      quantity: sum.quantity + order.quantity,
      amount: sum.amount + order.amount,
    });
  }
  const top = new Map<string, Product[]>();
  for (const [storeId, products] of sums) {
    const ranked = [...products]
      .map(([productId, sum]) => ({ productId, ...sum }))
      .sort(
        (a, b) =>
          b.quantity - a.quantity || b.amount - a.amount || (a.productId < b.productId ? -1 : 1),
      )
      .slice(0, TOP_N)
      .map((product, i) => ({
        rank: i + 1,
        productId: product.productId,
        quantity: product.quantity,
        amount: product.amount,
      }));
    top.set(storeId, ranked);
  }
  return top;
}

let kafka: KafkaBroker;

beforeAll(async () => {
  kafka = await startDedicatedKafka();
}, 180_000);

afterAll(async () => {
  await kafka?.stop();
}, 60_000);

/** An aggregator on the test's Kafka and a fresh database, plus what the tests need to drive it. */
async function startAggregator(env: Env) {
  const databaseUrl = await createThrowawayDatabase('popular_products');
  const dataDir = await mkdtemp(join(tmpdir(), 'ep-popular-products-'));
  const app: HttpApp = await createAggregatorApp({
    BROKER: 'kafka',
    KAFKA_BROKERS: kafka.brokers,
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    PORT: String(await freeTcpPort()),
    LOG_LEVEL: 'error',
    POPULAR_PRODUCTS_TOP_N: String(TOP_N),
    ...env,
  });
  const url = await app.listen();
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const publisher = app.app.get(EventPublisher, { strict: false });
  const log = app.app.get(StreamLog, { strict: false });

  return {
    url,
    databaseUrl,
    db,
    async publishOrders(orders: readonly Order[]): Promise<void> {
      for (let i = 0; i < orders.length; i += 500) {
        await publisher.publish(
          orders
            .slice(i, i + 500)
            .map((order) => ({ stream: 'orders', key: order.storeId, value: order })),
        );
      }
    },
    /** Waits until the day's sales of the orders' stores hold every item of `orders` (and no more). */
    async salesFlushed(day: string, orders: readonly Order[]): Promise<void> {
      const want = orders
        .filter((o) => o.occurredAt.startsWith(day))
        .reduce((sum, o) => sum + o.quantity, 0);
      const stores = [...new Set(orders.map((o) => o.storeId))];
      const got = await waitFor(
        async () => {
          const { rows } = await db.query<{ total: string | null }>(
            'SELECT sum(quantity)::text AS total FROM sales_daily WHERE day = $1 AND store_id = ANY($2::text[])',
            [day, stores],
          );
          const total = Number(rows[0].total ?? 0);
          return total >= want ? total : undefined;
        },
        {
          timeoutMs: 90_000,
          intervalMs: 200,
          description: `${want} items sold on ${day} in sales_daily`,
        },
      );
      expect(got).toBe(want);
    },
    /** Every message on `popular-products` so far (from the start of the log to its current end), with its metadata. */
    async published(): Promise<Array<Published>> {
      const start = await log.offsetsAt('popular-products', 0);
      const end = await log.offsetsAt('popular-products', Date.now() + 3_600_000);
      const reached = new Map(start.map((p) => [p.partition, BigInt(p.offset)]));
      const done = () => end.every((p) => (reached.get(p.partition) ?? 0n) >= BigInt(p.offset));
      const events: Array<Published> = [];
      if (done()) return events;
      const follower = await log.follow('popular-products', start, (batch) => {
        for (const event of batch.events as Array<IncomingEvent<Message>>)
          events.push({ ...event, meta: batch.metadataOf(event) });
        reached.set(batch.partition, BigInt(batch.nextOffset));
      });
      try {
        await Promise.race([
          follower.failed,
          waitFor(done, { timeoutMs: 30_000, description: 'the end of popular-products' }),
        ]);
      } finally {
        await follower.close();
      }
      return events;
    },
    async request(
      method: 'GET' | 'POST',
      path: string,
    ): Promise<{ status: number; body: ResponseBody }> {
      const response = await fetch(`${url}${path}`, {
        method,
        signal: AbortSignal.timeout(60_000),
      });
      return { status: response.status, body: (await response.json()) as ResponseBody };
    },
    async close(): Promise<void> {
      await db.end().catch(() => undefined);
      await app.app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Aggregator = Awaited<ReturnType<typeof startAggregator>>;

/** A message read back from `popular-products`, with its metadata. */
type Published = IncomingEvent<Message> & { readonly meta: EventMetadata };

/** The messages of `day`, grouped by store. */
function byStore(events: ReadonlyArray<Published>, day: string): Map<string, Array<Published>> {
  const grouped = new Map<string, Array<Published>>();
  for (const event of events) {
    if (event.payload.date !== day) continue;
    const list = grouped.get(event.payload.storeId) ?? [];
    list.push(event);
    grouped.set(event.payload.storeId, list);
  }
  return grouped;
}

describe('popular-products export on demand (Kafka, PostgreSQL)', () => {
  let agg: Aggregator;

  beforeAll(async () => {
    // Pages of 2 stores: every run below spans several pages. The schedule stays out of the way.
    agg = await startAggregator({
      POPULAR_PRODUCTS_CRON: '0 0 1 1 *',
      POPULAR_PRODUCTS_PAGE_SIZE: '2',
    });
  }, 180_000);

  afterAll(async () => {
    await agg?.close();
  }, 60_000);

  it('publishes one message per store with the right top-N, serves it, and a re-run publishes nothing', async () => {
    const prefix = uniqueName('pp');
    const day = randomDay();
    const storeIds = Array.from({ length: 5 }, (_, i) => `${prefix}-s${i}`);
    const orders = planOrders(prefix, day, storeIds);
    await agg.publishOrders(orders);
    await agg.salesFlushed(day, orders);
    const expected = expectedTop(orders);

    const first = await agg.request('POST', `/admin/jobs/popular-products?date=${day}`);
    expect(first).toEqual({ status: 200, body: { stores: 5, published: 5 } });

    const messages = byStore(await agg.published(), day);
    expect([...messages.keys()].sort()).toEqual(storeIds);
    for (const storeId of storeIds) {
      const [event, ...more] = messages.get(storeId)!;
      expect(more).toHaveLength(0);
      expect(event.meta.key).toBe(storeId);
      expect(event.meta.headers['x-event-id']).toBe(event.payload.eventId);
      expect(event.payload.products).toEqual(expected.get(storeId));
      expect(event.payload.products.slice(0, 2).map((p) => p.productId)).toEqual([
        'p-tie-a',
        'p-tie-b',
      ]);
      const served = await agg.request(
        'GET',
        `/v1/stores/${encodeURIComponent(storeId)}/popular-products?date=${day}`,
      );
      expect(served).toEqual({
        status: 200,
        body: {
          storeId,
          date: day,
          generatedAt: event.payload.generatedAt,
          products: expected.get(storeId),
        },
      });
    }

    // Nothing changed: nothing to publish, nothing on the topic.
    expect(await agg.request('POST', `/admin/jobs/popular-products?date=${day}`)).toEqual({
      status: 200,
      body: { stores: 5, published: 0 },
    });
    // More sales for one store: only that store's snapshot is new, under a new eventId.
    const later = [
      {
        ...orders[0],
        eventId: `${prefix}-late`,
        orderId: `${prefix}-late`,
        storeId: storeIds[3],
        productId: 'p-new',
        quantity: 50,
      },
    ];
    await agg.publishOrders(later);
    await agg.salesFlushed(day, [...orders, ...later]);
    expect(await agg.request('POST', `/admin/jobs/popular-products?date=${day}`)).toEqual({
      status: 200,
      body: { stores: 5, published: 1 },
    });
    const after = byStore(await agg.published(), day);
    for (const storeId of storeIds)
      expect(after.get(storeId)).toHaveLength(storeId === storeIds[3] ? 2 : 1);
    const [older, newer] = after.get(storeIds[3])!;
    expect(newer.eventId).not.toBe(older.eventId);
    expect(newer.payload.products[0]).toEqual({
      rank: 1,
      productId: 'p-new',
      quantity: 50,
      amount: orders[0].amount,
    });
    expect(newer.payload.products).toEqual(expectedTop([...orders, ...later]).get(storeIds[3]));
  }, 240_000);

  it('resumes a run that failed midway (broker killed after the first page) without duplicates', async () => {
    const prefix = uniqueName('pp-fail');
    const day = randomDay();
    const storeIds = Array.from({ length: 7 }, (_, i) => `${prefix}-s${i}`);
    const orders = planOrders(prefix, day, storeIds);
    await agg.publishOrders(orders);
    await agg.salesFlushed(day, orders);

    // Hold the run at the second page: an uncommitted row with the key of the page's first
    // snapshot makes the run's upsert wait for this transaction (PostgreSQL's own locking).
    const blocker = new Client({ connectionString: agg.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(
        "INSERT INTO popular_products (day, store_id, generated_at, products, content_hash) VALUES ($1, $2, now(), '[]', 'held')",
        [day, storeIds[2]],
      );
      const run = agg.request('POST', `/admin/jobs/popular-products?date=${day}`);
      await waitFor(
        async () => {
          const { rows } = await agg.db.query<{ waiting: string }>(
            "SELECT count(*)::text AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO popular_products%'",
          );
          return rows[0].waiting !== '0';
        },
        { timeoutMs: 60_000, intervalMs: 100, description: 'the run waiting at its second page' },
      );
      const firstPage = byStore(await agg.published(), day);
      expect([...firstPage.keys()].sort()).toEqual(storeIds.slice(0, 2));

      // One run at a time: a second request is refused while this one is going.
      const concurrent = await agg.request('POST', `/admin/jobs/popular-products?date=${day}`);
      expect(concurrent.status).toBe(409);
      expect(concurrent.body.message).toContain('already running');

      await kafka.kill();
      await blocker.query('ROLLBACK');
      const failed = await run;
      expect(failed.status).toBe(503);
      expect(failed.body.message).toContain('re-run resumes');
    } finally {
      await blocker.end().catch(() => undefined);
    }

    await kafka.restart();
    await waitFor(async () => (await fetch(`${agg.url}/health/ready`)).status === 200, {
      timeoutMs: 120_000,
      intervalMs: 500,
      description: 'the aggregator ready again after the broker restart',
    });
    const rerun = await agg.request('POST', `/admin/jobs/popular-products?date=${day}`);
    expect(rerun).toEqual({ status: 200, body: { stores: 7, published: 5 } });

    const expected = expectedTop(orders);
    const messages = byStore(await agg.published(), day);
    expect([...messages.keys()].sort()).toEqual(storeIds);
    for (const storeId of storeIds) {
      const events = messages.get(storeId)!;
      // A publish whose outcome was unknown may have reached the log before the kill: then it is
      // there twice with the same eventId and bytes. Distinct eventIds per store: exactly one.
      expect(new Set(events.map((e) => e.eventId)).size).toBe(1);
      if (storeIds.indexOf(storeId) < 2) expect(events).toHaveLength(1);
      expect(events[0].payload.products).toEqual(expected.get(storeId));
    }
    const { rows } = await agg.db.query<{ snapshots: string; unpublished: string }>(
      'SELECT count(*)::text AS snapshots, count(*) FILTER (WHERE published_hash IS DISTINCT FROM content_hash)::text AS unpublished ' +
        'FROM popular_products WHERE day = $1',
      [day],
    );
    expect(rows[0]).toEqual({ snapshots: '7', unpublished: '0' });
  }, 300_000);

  it('answers bad input with 400 and the field, and a missing snapshot with 404', async () => {
    const badDate = await agg.request('GET', '/v1/stores/s1/popular-products?date=2026-02-30');
    expect(badDate.status).toBe(400);
    expect(badDate.body.details).toEqual([
      { field: 'date', problem: 'must be a calendar date YYYY-MM-DD' },
    ]);
    const badRun = await agg.request('POST', '/admin/jobs/popular-products?date=yesterday');
    expect(badRun.status).toBe(400);
    expect(badRun.body.details).toEqual([
      { field: 'date', problem: 'must be a calendar date YYYY-MM-DD' },
    ]);
    const longStore = await agg.request('GET', `/v1/stores/${'x'.repeat(101)}/popular-products`);
    expect(longStore.status).toBe(400);
    expect(longStore.body.details).toEqual([
      { field: 'storeId', problem: 'must be at most 100 characters' },
    ]);
    const missing = await agg.request(
      'GET',
      '/v1/stores/no-such-store/popular-products?date=2031-01-01',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.message).toContain(
      'no popular-products snapshot for store no-such-store on 2031-01-01',
    );
  }, 60_000);
});

describe('popular-products export on its schedule', () => {
  let agg: Aggregator;
  let closed = false;

  beforeAll(async () => {
    agg = await startAggregator({ POPULAR_PRODUCTS_CRON: '* * * * * *' });
  }, 180_000);

  afterAll(async () => {
    if (!closed) await agg?.close();
  }, 60_000);

  it("publishes today's top-N per store without being asked", async () => {
    const prefix = uniqueName('pp-cron');
    const today = new Date().toISOString().slice(0, 10);
    const storeIds = [`${prefix}-a`, `${prefix}-b`];
    const orders = planOrders(prefix, today, storeIds);
    await agg.publishOrders(orders);
    await agg.salesFlushed(today, orders);
    const expected = expectedTop(orders);
    // The schedule may publish a store while its sales are still arriving; it then publishes the
    // final content under a new eventId on a later tick. Wait for the final content of each.
    const messages = await waitFor(
      async () => {
        const grouped = byStore(await agg.published(), today);
        const final = storeIds.every((id) => {
          const events = grouped.get(id) ?? [];
          return (
            events.length > 0 &&
            JSON.stringify(events[events.length - 1].payload.products) ===
              JSON.stringify(expected.get(id))
          );
        });
        return final ? grouped : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: 'scheduled messages with the final top-N of each store',
      },
    );
    for (const id of storeIds) {
      const events = messages!.get(id)!;
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      const served = await agg.request('GET', `/v1/stores/${id}/popular-products`);
      expect(served.status).toBe(200);
      expect(served.body.products).toEqual(expected.get(id));
    }
  }, 240_000);

  it('lets a running scheduled export finish its page on shutdown, before the database closes', async () => {
    const prefix = uniqueName('pp-stop');
    const today = new Date().toISOString().slice(0, 10);
    const storeId = `${prefix}-s`;
    const blocker = new Client({ connectionString: agg.databaseUrl });
    await blocker.connect();
    let closing: Promise<void> | undefined;
    try {
      // The next scheduled run waits at this store's snapshot until the transaction ends.
      await blocker.query('BEGIN');
      await blocker.query(
        "INSERT INTO popular_products (day, store_id, generated_at, products, content_hash) VALUES ($1, $2, now(), '[]', 'held')",
        [today, storeId],
      );
      const orders = planOrders(prefix, today, [storeId]);
      await agg.publishOrders(orders);
      await agg.salesFlushed(today, orders);
      await waitFor(
        async () => {
          const { rows } = await agg.db.query<{ waiting: string }>(
            "SELECT count(*)::text AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO popular_products%'",
          );
          return rows[0].waiting !== '0';
        },
        {
          timeoutMs: 60_000,
          intervalMs: 100,
          description: 'a scheduled run waiting at the held snapshot',
        },
      );

      closed = true;
      let done = false;
      closing = agg.close().then(() => {
        done = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(done).toBe(false); // the shutdown waits for the run
      await blocker.query('ROLLBACK');
      await closing;
    } finally {
      await blocker.end().catch(() => undefined);
      await closing?.catch(() => undefined);
    }
    // The run finished its page after the schedule stopped: stored, published and recorded
    // before the database closed.
    const check = new Client({ connectionString: agg.databaseUrl });
    await check.connect();
    try {
      const { rows } = await check.query<{ published: boolean; products: Product[] }>(
        'SELECT published_hash = content_hash AS published, products FROM popular_products WHERE day = $1 AND store_id = $2',
        [today, storeId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].published).toBe(true);
      expect(rows[0].products).not.toEqual([]);
    } finally {
      await check.end();
    }
  }, 240_000);
});
