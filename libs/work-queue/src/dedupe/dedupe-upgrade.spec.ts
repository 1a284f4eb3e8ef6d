/**
 * Migration DedupeIds against PostgreSQL: ids stored in processed_events before the upgrade keep
 * de-duplicating after it (the keys the migration computes are the ones claims compute), and
 * reverting brings back the old table.
 */
import { createDataSourceOptions } from '@lib/database';
import { createThrowawayDatabase } from '@test/support';
import { DataSource } from 'typeorm';
import { v7 as timeOrderedUuid } from 'uuid';
import { claimEventIds } from './processed-events';

describe('upgrade from processed_events', () => {
  let source: DataSource | undefined;

  afterEach(async () => {
    await source?.destroy();
    source = undefined;
  });

  const options = (url: string) => createDataSourceOptions(url, 2);
  const all = (url: string) => options(url).migrations as Array<new () => { name: string }>;

  it('copies the stored ids, which a claim then names as duplicates', async () => {
    const url = await createThrowawayDatabase('dedupe-upgrade');
    const dedupeIds = all(url).findIndex((m) => new m().name.startsWith('DedupeIds'));
    const older = new DataSource({
      ...options(url),
      migrations: all(url).slice(0, dedupeIds),
    } as never);
    await older.initialize();
    await older.runMigrations({ transaction: 'each' });
    const v7 = [timeOrderedUuid({ msecs: Date.now() - 3_600_000 }), timeOrderedUuid()];
    const named = ['order-1', 'ÜBER-2', v7[0].toUpperCase()];
    await older.query(
      `INSERT INTO processed_events (group_id, event_id, processed_at)
       SELECT 'app/q', id, now() - interval '2 hours' FROM unnest($1::text[]) AS u(id)
       UNION ALL SELECT 'other/q', $2, now()`,
      [[...v7, ...named], v7[1]],
    );
    await older.destroy();

    source = new DataSource(options(url) as never);
    await source.initialize();
    await source.runMigrations({ transaction: 'each' });
    expect(await source.query("SELECT to_regclass('processed_events') AS t")).toEqual([
      { t: null },
    ]);
    const [{ n }] = await source.query('SELECT count(*)::int AS n FROM dedupe_ids');
    expect(n).toBe(6);

    const claim = async (scope: string, ids: string[]) => {
      const runner = source!.createQueryRunner();
      await runner.startTransaction();
      try {
        const duplicates = await claimEventIds(runner, scope, [...ids].sort());
        await runner.rollbackTransaction();
        return [...duplicates].sort();
      } finally {
        await runner.release();
      }
    };
    const fresh = timeOrderedUuid();
    expect(await claim('app/q', [...v7, ...named, fresh, 'order-9'])).toEqual(
      [...v7, ...named].sort(),
    );
    expect(await claim('other/q', [...v7, 'order-1'])).toEqual([v7[1]]);

    await source.undoLastMigration({ transaction: 'each' });
    expect(await source.query('SELECT count(*)::int AS n FROM processed_events')).toEqual([
      { n: 0 },
    ]);
    expect(await source.query("SELECT to_regclass('dedupe_ids') AS t")).toEqual([{ t: null }]);
  });
});
