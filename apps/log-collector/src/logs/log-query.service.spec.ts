/**
 * Search and the slow-query report against real PostgreSQL: each filter, keyset pagination that
 * visits every row exactly once in order (also among equal timestamps and rows arriving between
 * pages), and the report's numbers on known durations.
 */
import { isoAgo, makeLog, openLogDatabase, type LogDatabase } from '../../test/log-database';
import type { StorableLog } from './log-rows';
import { SEARCH_LIMIT, type LogSearch } from './log-query.params';

const MINUTE = 60_000;
const NOW = Date.now();

/** A search with the defaults of an empty query string. */
const search = (fields: Partial<LogSearch> = {}): LogSearch => ({
  limit: SEARCH_LIMIT.default,
  ...fields,
});

describe('LogQueryService', () => {
  let db: LogDatabase;

  beforeAll(async () => {
    db = await openLogDatabase('log_query');
  });

  afterAll(() => db?.close());

  beforeEach(() => db.query('TRUNCATE app_logs'));

  async function seed(logs: StorableLog[]): Promise<void> {
    expect(await db.store.insertBatch(logs)).toBe(logs.length);
  }

  const ids = (items: Array<{ eventId: string }>) => items.map((item) => item.eventId);

  describe('search filters', () => {
    beforeEach(() =>
      seed([
        makeLog({
          eventId: 'a1',
          service: 'ingest',
          kind: 'request',
          level: 'info',
          message: 'GET /v1/ticks 202',
          requestId: 'r-1',
          occurredAt: isoAgo(10 * MINUTE, NOW),
        }),
        makeLog({
          eventId: 'a2',
          service: 'ingest',
          kind: 'error',
          level: 'error',
          message: 'Broker DOWN: 100% of publishes failed',
          requestId: 'r-1',
          occurredAt: isoAgo(9 * MINUTE, NOW),
        }),
        makeLog({
          eventId: 'b1',
          service: 'aggregator',
          kind: 'query',
          level: 'warn',
          message: 'SELECT 1',
          durationMs: 250,
          occurredAt: isoAgo(8 * MINUTE, NOW),
        }),
        makeLog({
          eventId: 'b2',
          service: 'aggregator',
          kind: 'request',
          level: 'warn',
          message: 'GET /v1/candles/:symbol 404 user_id',
          requestId: 'r-2',
          occurredAt: isoAgo(7 * MINUTE, NOW),
        }),
        makeLog({
          eventId: 'c1',
          service: 'pv-counter',
          kind: 'request',
          level: 'info',
          message: 'GET /v1/page-views 200 userXid 1000 ms',
          occurredAt: isoAgo(6 * MINUTE, NOW),
        }),
      ]),
    );

    it('returns everything newest first without filters, with every stored field', async () => {
      const page = await db.queries.search(search());
      expect(ids(page.items)).toEqual(['c1', 'b2', 'b1', 'a2', 'a1']);
      expect(page.nextCursor).toBeNull();
      expect(page.items[2]).toEqual({
        id: expect.stringMatching(/^\d+$/),
        eventId: 'b1',
        service: 'aggregator',
        kind: 'query',
        level: 'warn',
        message: 'SELECT 1',
        durationMs: 250,
        occurredAt: isoAgo(8 * MINUTE, NOW),
        receivedAt: expect.any(String),
      });
    });

    it.each([
      ['service', { service: 'aggregator' }, ['b2', 'b1']],
      ['kind', { kind: 'request' as const }, ['c1', 'b2', 'a1']],
      ['level', { level: 'warn' as const }, ['b2', 'b1']],
      ['requestId', { requestId: 'r-1' }, ['a2', 'a1']],
      ['from (inclusive)', { from: new Date(NOW - 8 * MINUTE) }, ['c1', 'b2', 'b1']],
      ['to (exclusive)', { to: new Date(NOW - 8 * MINUTE) }, ['a2', 'a1']],
      [
        'from and to',
        { from: new Date(NOW - 9 * MINUTE), to: new Date(NOW - 7 * MINUTE) },
        ['b1', 'a2'],
      ],
      ['q, case-insensitive', { q: 'broker down' }, ['a2']],
      ['q with % matching only a %', { q: '100%' }, ['a2']],
      ['q with _ matching only a _', { q: 'user_id' }, ['b2']],
      [
        'several filters together',
        { service: 'ingest', kind: 'request' as const, requestId: 'r-1' },
        ['a1'],
      ],
      ['a filter nothing matches', { service: 'nobody' }, []],
    ])('filters by %s', async (_name, filters, expected) => {
      expect(ids((await db.queries.search(search(filters))).items)).toEqual(expected);
    });
  });

  describe('pagination', () => {
    // 40 records: 15 share one timestamp, 10 are a microsecond apart within one millisecond, the
    // rest spread out; inserted in shuffled batches so ids do not follow time.
    const sameMs = isoAgo(5 * MINUTE, NOW).slice(0, 23);
    const logs = [
      ...Array.from({ length: 15 }, (_, i) =>
        makeLog({
          eventId: `same-${i}`,
          message: `same second ${i}`,
          occurredAt: isoAgo(3 * MINUTE, NOW),
        }),
      ),
      ...Array.from({ length: 10 }, (_, i) =>
        makeLog({ eventId: `micro-${i}`, occurredAt: `${sameMs}00${i}Z` }),
      ),
      ...Array.from({ length: 15 }, (_, i) =>
        makeLog({ eventId: `spread-${i}`, occurredAt: isoAgo(i * 997, NOW) }),
      ),
    ];

    beforeEach(async () => {
      const shuffled = [...logs].sort(
        (a, b) => a.eventId.length - b.eventId.length || (a.eventId < b.eventId ? 1 : -1),
      );
      await seed(shuffled.slice(0, 20));
      await seed(shuffled.slice(20));
    });

    /** The full order the API promises, straight from the database. */
    async function expectedOrder(): Promise<string[]> {
      const rows = await db.query<{ event_id: string }>(
        'SELECT event_id FROM app_logs ORDER BY occurred_at DESC, id DESC',
      );
      return rows.map((row) => row.event_id);
    }

    async function walk(
      limit: number,
      between?: (page: number) => Promise<void>,
    ): Promise<string[]> {
      const seen: string[] = [];
      let cursor: LogSearch['cursor'];
      for (let page = 0; page < 100; page++) {
        const result = await db.queries.search(search({ limit, cursor }));
        seen.push(...ids(result.items));
        expect(result.items.length).toBeLessThanOrEqual(limit);
        if (!result.nextCursor) return seen;
        const { decodeCursor } = await import('./log-cursor');
        cursor = decodeCursor(result.nextCursor);
        expect(cursor).toBeDefined();
        await between?.(page);
      }
      throw new Error('pagination did not end');
    }

    it.each([1, 4, 7, 40, 500])(
      'visits every record exactly once, in order, %i per page',
      async (limit) => {
        const order = await expectedOrder();
        expect(order).toHaveLength(40);
        expect(await walk(limit)).toEqual(order);
      },
    );

    it('is not disturbed by newer records arriving between pages', async () => {
      const order = await expectedOrder();
      const seen = await walk(6, async (page) => {
        await seed([makeLog({ eventId: `late-${page}`, occurredAt: new Date().toISOString() })]);
      });
      expect(seen).toEqual(order);
    });

    it('narrows pages by the filters too', async () => {
      const seen: string[] = [];
      let cursor: LogSearch['cursor'];
      const { decodeCursor } = await import('./log-cursor');
      do {
        const result = await db.queries.search(search({ limit: 4, q: 'same', cursor }));
        seen.push(...ids(result.items));
        cursor = result.nextCursor ? decodeCursor(result.nextCursor) : undefined;
      } while (cursor);
      expect(seen.sort()).toEqual(Array.from({ length: 15 }, (_, i) => `same-${i}`).sort());
    });
  });

  describe('slow-query report', () => {
    const window = {
      from: new Date(NOW - 60 * MINUTE),
      to: new Date(NOW + MINUTE),
      minDurationMs: 0,
      limit: 20,
    };
    const query = (message: string, durationMs: number, ago = MINUTE) =>
      makeLog({ kind: 'query', level: 'warn', message, durationMs, occurredAt: isoAgo(ago, NOW) });

    beforeEach(() =>
      seed([
        // A: 10 runs, 100..1000 ms. p50 = 550, p95 = 955 (percentile_cont interpolates).
        ...Array.from({ length: 10 }, (_, i) =>
          query(`SELECT * FROM orders WHERE store_id = '${i}'`, (i + 1) * 100),
        ),
        // B: 3 runs of 2000, 2100, 5000 ms (different literals, one statement). p50 = 2100, p95 = 4710.
        query('UPDATE candles SET close = 1 WHERE symbol = $1', 2000),
        query('UPDATE candles SET close = 2 WHERE symbol = $1', 2100),
        query('UPDATE candles SET close = 3 WHERE symbol = $1', 5000),
        // C: one run, 600 ms.
        query('SELECT pg_sleep(0.6)', 600),
        // Outside the window, and not a query record: never counted.
        query('SELECT pg_sleep(99)', 99_000, 2 * 60 * MINUTE),
        makeLog({
          kind: 'request',
          message: 'GET /slow',
          durationMs: 50_000,
          occurredAt: isoAgo(MINUTE, NOW),
        }),
      ]),
    );

    it('groups by normalised statement with count, p50, p95 and max, worst p95 first', async () => {
      expect(await db.queries.slowQueries(window)).toEqual({
        items: [
          {
            query: 'UPDATE candles SET close = ? WHERE symbol = ?',
            count: 3,
            p50Ms: 2100,
            p95Ms: 4710,
            maxMs: 5000,
          },
          {
            query: 'SELECT * FROM orders WHERE store_id = ?',
            count: 10,
            p50Ms: 550,
            p95Ms: 955,
            maxMs: 1000,
          },
          { query: 'SELECT pg_sleep(?)', count: 1, p50Ms: 600, p95Ms: 600, maxMs: 600 },
        ],
      });
    });

    it('counts only runs of at least minDurationMs', async () => {
      const { items } = await db.queries.slowQueries({ ...window, minDurationMs: 800 });
      expect(items.find((item) => item.query.startsWith('SELECT * FROM orders'))).toEqual({
        query: 'SELECT * FROM orders WHERE store_id = ?',
        count: 3,
        p50Ms: 900,
        p95Ms: 990,
        maxMs: 1000,
      });
      expect(items.map((item) => item.query)).not.toContain('SELECT pg_sleep(?)');
    });

    it('honours the window and the limit', async () => {
      const wide = { ...window, from: new Date(NOW - 3 * 60 * MINUTE), limit: 2 };
      const { items } = await db.queries.slowQueries(wide);
      expect(items.map((item) => [item.query, item.count])).toEqual([
        ['SELECT pg_sleep(?)', 2],
        ['UPDATE candles SET close = ? WHERE symbol = ?', 3],
      ]);
    });
  });
});
