/**
 * Retention against real PostgreSQL: partitions older than LOG_RETENTION_DAYS are dropped with
 * their rows, recent ones and their rows stay, the next days' partitions are created, and old
 * rows in the default partition are deleted.
 */
import { makeLog, openLogDatabase, type LogDatabase } from '../../test/log-database';
import { addDays, dayOf, partitionName, startOfDay, type DayKey } from './day-partitions';

describe('LogRetentionJob', () => {
  let db: LogDatabase;
  const now = new Date();
  const today = dayOf(now);
  const noonOf = (day: DayKey) =>
    new Date(startOfDay(day).getTime() + 12 * 3_600_000).toISOString();

  beforeAll(async () => {
    db = await openLogDatabase('log_retention', { LOG_RETENTION_DAYS: '7' });
  });

  afterAll(() => db?.close());

  async function partitionsInCatalogue(): Promise<string[]> {
    const rows = await db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'app_logs'::regclass ORDER BY 1`,
    );
    return rows.map((row) => row.name);
  }

  it('drops partitions older than the retention, keeps the rest and creates the coming days', async () => {
    const old = [addDays(today, -30), addDays(today, -9), addDays(today, -8)];
    const kept = [addDays(today, -7), addDays(today, -1)];
    await db.partitions.ensure([...old, ...kept]); // e.g. made by earlier runs
    await db.store.insertBatch([
      ...[...old, ...kept].map((day) => makeLog({ eventId: `in-${day}`, occurredAt: noonOf(day) })),
      makeLog({ eventId: 'default-old', occurredAt: noonOf(addDays(today, -40)) }),
      makeLog({ eventId: 'default-recent', occurredAt: noonOf(addDays(today, 9)) }),
    ]);

    const result = await db.retention.run(now);

    expect(result).toEqual({
      created: [today, addDays(today, 1), addDays(today, 2)],
      dropped: old,
      defaultRowsDeleted: 1,
    });
    expect(await partitionsInCatalogue()).toEqual(
      [
        'app_logs_default',
        ...[...kept, today, addDays(today, 1), addDays(today, 2)].map(partitionName),
      ].sort(),
    );
    const rows = await db.query<{ event_id: string }>(
      'SELECT event_id FROM app_logs ORDER BY event_id',
    );
    expect(rows.map((row) => row.event_id)).toEqual(
      ['default-recent', ...kept.map((day) => `in-${day}`)].sort(),
    );
  });

  it('changes nothing when run again', async () => {
    const before = await partitionsInCatalogue();
    expect(await db.retention.run(now)).toEqual({
      created: [],
      dropped: [],
      defaultRowsDeleted: 0,
    });
    expect(await partitionsInCatalogue()).toEqual(before);
  });

  it('rolls forward with the clock', async () => {
    const later = new Date(now.getTime() + 86_400_000);
    const result = await db.retention.run(later);
    expect(result.created).toEqual([addDays(today, 3)]);
    expect(result.dropped).toEqual([addDays(today, -7)]);
  });

  it('shares a pass in progress between concurrent calls', async () => {
    const first = db.retention.run(now);
    expect(db.retention.run(now)).toBe(first);
    await first;
  });
});
