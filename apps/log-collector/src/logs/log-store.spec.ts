/**
 * LogStore against real PostgreSQL: one statement per batch, day partitions created on demand and
 * remembered, de-duplication by (occurredAt, eventId), the default partition for rows outside the
 * window, and records PostgreSQL would otherwise refuse.
 */
import { isoAgo, makeLog, openLogDatabase, type LogDatabase } from '../../test/log-database';
import { addDays, dayOf, partitionName } from './day-partitions';

const DAY_MS = 86_400_000;

describe('LogStore.insertBatch', () => {
  let db: LogDatabase;

  beforeAll(async () => {
    db = await openLogDatabase('log_store');
  });

  afterAll(() => db?.close());

  beforeEach(() => db.query('TRUNCATE app_logs'));

  afterEach(() => jest.restoreAllMocks());

  /** Which table each event id landed in. */
  async function placement(): Promise<Record<string, string>> {
    const rows = await db.query<{ event_id: string; partition: string }>(
      'SELECT event_id, tableoid::regclass::text AS partition FROM app_logs',
    );
    return Object.fromEntries(rows.map((row) => [row.event_id, row.partition]));
  }

  it('inserts a batch in one statement, into the partition of each record’s day', async () => {
    const today = makeLog({ eventId: 'today', occurredAt: isoAgo(0) });
    const yesterday = makeLog({ eventId: 'yesterday', occurredAt: isoAgo(DAY_MS) });
    await db.partitions.ensure([dayOf(new Date()), dayOf(new Date(Date.now() - DAY_MS))]);
    const queries = jest.spyOn(db.database.dataSource, 'query');

    const batch = [today, yesterday, ...Array.from({ length: 998 }, () => makeLog())];
    expect(await db.store.insertBatch(batch)).toBe(1000);

    expect(queries).toHaveBeenCalledTimes(1);
    expect(queries.mock.calls[0][0]).toContain('unnest(');
    const where = await placement();
    expect(where.today).toBe(partitionName(dayOf(new Date(today.occurredAt))));
    expect(where.yesterday).toBe(partitionName(dayOf(new Date(yesterday.occurredAt))));
    expect(await db.query('SELECT count(*)::int AS n FROM app_logs')).toEqual([{ n: 1000 }]);
  });

  it('creates a missing day partition once, then remembers it', async () => {
    const day = addDays(dayOf(new Date()), -3);
    await db.query(`DROP TABLE IF EXISTS ${partitionName(day)}`);
    const at = new Date(
      Date.parse(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6)}T12:00:00Z`),
    ).toISOString();

    await db.store.insertBatch([makeLog({ eventId: 'a', occurredAt: at })]);
    expect(await placement()).toEqual({ a: partitionName(day) });

    const queries = jest.spyOn(db.database.dataSource, 'query');
    await db.store.insertBatch([makeLog({ eventId: 'b', occurredAt: at })]);
    expect(queries).toHaveBeenCalledTimes(1); // the insert only: no catalogue lookup, no DDL
  });

  it('skips records stored already and duplicates within one batch', async () => {
    const first = makeLog({ eventId: 'dup-1', occurredAt: isoAgo(1000) });
    const second = makeLog({ eventId: 'dup-2', occurredAt: isoAgo(2000) });
    expect(await db.store.insertBatch([first, second, { ...first }])).toBe(2);
    expect(await db.store.insertBatch([second, first, makeLog({ eventId: 'new' })])).toBe(1);
    const rows = await db.query<{ event_id: string; n: number }>(
      'SELECT event_id, count(*)::int AS n FROM app_logs GROUP BY event_id ORDER BY event_id',
    );
    expect(rows).toEqual([
      { event_id: 'dup-1', n: 1 },
      { event_id: 'dup-2', n: 1 },
      { event_id: 'new', n: 1 },
    ]);
  });

  it('keeps records outside the partition window in the default partition, and moves them when their day gets one', async () => {
    const farDay = addDays(dayOf(new Date()), 5);
    const future = makeLog({
      eventId: 'future',
      occurredAt: new Date(Date.now() + 5 * DAY_MS).toISOString(),
    });
    const ancient = makeLog({ eventId: 'ancient', occurredAt: '2001-02-03T04:05:06Z' });
    expect(await db.store.insertBatch([future, ancient])).toBe(2);
    expect(await placement()).toEqual({ future: 'app_logs_default', ancient: 'app_logs_default' });

    await db.partitions.ensure([farDay]);
    expect(await placement()).toEqual({
      future: partitionName(farDay),
      ancient: 'app_logs_default',
    });
    // Moved rows keep their id and can still be de-duplicated.
    expect(await db.store.insertBatch([future])).toBe(0);
    await db.query(`DROP TABLE ${partitionName(farDay)}`);
  });

  it('stores every field, with occurredAt to the microsecond and receivedAt defaulting to now', async () => {
    const log = makeLog({
      eventId: 'full',
      service: 'aggregator',
      kind: 'error',
      level: 'error',
      message: 'flush failed',
      requestId: 'req-9',
      durationMs: 12.5,
      attributes: { class: 'QueryFailedError', nested: { n: 1 } },
      occurredAt: `${isoAgo(5000).slice(0, 23)}456Z`,
    });
    await db.store.insertBatch([log]);
    const [row] = await db.query(
      `SELECT service, kind, level, message, request_id, duration_ms, attributes, normalized_query,
              to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
              received_at > now() - interval '1 minute' AS received_now
         FROM app_logs`,
    );
    expect(row).toEqual({
      service: 'aggregator',
      kind: 'error',
      level: 'error',
      message: 'flush failed',
      request_id: 'req-9',
      duration_ms: 12.5,
      attributes: { class: 'QueryFailedError', nested: { n: 1 } },
      normalized_query: null,
      occurred_at: log.occurredAt,
      received_now: true,
    });
  });

  it('normalises the SQL of query records, from attributes.query or the message', async () => {
    await db.store.insertBatch([
      makeLog({
        eventId: 'q1',
        kind: 'query',
        message: "SELECT * FROM t WHERE a = 'x' AND b = 5",
        durationMs: 300,
      }),
      makeLog({
        eventId: 'q2',
        kind: 'query',
        message: 'slow',
        attributes: { query: 'SELECT 1' },
        durationMs: 250,
      }),
    ]);
    const rows = await db.query(
      'SELECT event_id, normalized_query FROM app_logs ORDER BY event_id',
    );
    expect(rows).toEqual([
      { event_id: 'q1', normalized_query: 'SELECT * FROM t WHERE a = ? AND b = ?' },
      { event_id: 'q2', normalized_query: 'SELECT ?' },
    ]);
  });

  it('stores records with NUL bytes and unpaired surrogates instead of failing the batch', async () => {
    const log = makeLog({
      eventId: 'odd',
      message: 'nul\u0000here \uD800 alone',
      attributes: { 'k\u0000ey': 'v\u0000al', list: ['\uDC00'] },
    });
    expect(await db.store.insertBatch([log, makeLog()])).toBe(2);
    const [row] = await db.query("SELECT message, attributes FROM app_logs WHERE event_id = 'odd'");
    expect(row).toEqual({
      message: 'nulhere \uFFFD alone',
      attributes: { key: 'val', list: ['\uFFFD'] },
    });
  });

  it('inserts within a caller’s transaction when given its runner', async () => {
    const runner = db.database.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      expect(await db.store.insertBatch([makeLog({ eventId: 'tx' })], runner)).toBe(1);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    expect(await db.query('SELECT count(*)::int AS n FROM app_logs')).toEqual([{ n: 0 }]);
  });

  it('does nothing for an empty batch', async () => {
    const queries = jest.spyOn(db.database.dataSource, 'query');
    expect(await db.store.insertBatch([])).toBe(0);
    expect(queries).not.toHaveBeenCalled();
  });
});
