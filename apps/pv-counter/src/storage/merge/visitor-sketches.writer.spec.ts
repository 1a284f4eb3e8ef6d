/**
 * mergeVisitorSketches against PostgreSQL (the migrated schema): sketches merge to what one
 * HyperLogLog of all the visitors holds, a sketch no visitor raised is not rewritten, a merge
 * does not scan the table, and two merges racing on the same new keys both land.
 */
import { tableWritesDuring } from '../../../test/support/table-writes';
import { visitorUpdate } from '../hll/visitor-hashes';
import { sketchOf, storedSketches } from '../../../test/support/sketches';
import type { VisitorUpdates } from './visitor-updates.codec';
import { groupByKey } from './visitor-updates.store';
import { mergeVisitorSketches, PAGE_VISITORS_DAILY } from './visitor-sketches.writer';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';
import { withTwoTransactions } from '../../../test/support/two-transactions';

const DAY = '2026-03-01';

function entry(pageId: string, visitors: readonly string[]): VisitorUpdates {
  return { day: DAY, pageId, hashes: visitors.map((visitor) => visitorUpdate(visitor)) };
}

describe('mergeVisitorSketches', () => {
  const database = migratedDatabasePerTest('visitor-sketches-writer');

  async function merge(entries: readonly VisitorUpdates[]): Promise<void> {
    await database.dataSource.transaction((manager) =>
      mergeVisitorSketches(manager.queryRunner!, groupByKey([entries])),
    );
  }

  const stored = () => storedSketches(database.dataSource, DAY);

  it('inserts new sketches, then merges visitors into the stored ones, sparse and dense', async () => {
    const dense = Array.from({ length: 6_000 }, (_, i) => `d${i}`); // beyond the sparse limit
    await merge([entry('/a', ['v1', 'v2']), entry('/dense', dense)]);
    await merge([
      entry('/a', ['v2', 'v3']),
      entry('/b', ['v9']),
      entry('/a', ['v4']),
      entry('/dense', ['d-new']),
    ]);

    const sketches = await stored();
    expect([...sketches.keys()].sort()).toEqual(['/a', '/b', '/dense']);
    expect(sketches.get('/a')).toEqual(sketchOf(['v1', 'v2', 'v3', 'v4']));
    expect(sketches.get('/b')).toEqual(sketchOf(['v9']));
    expect(sketches.get('/dense')).toEqual(sketchOf([...dense, 'd-new']));
  });

  it('writes no row version for a sketch no visitor raised, nor for a key without visitors', async () => {
    await merge([entry('/a', ['v1', 'v2'])]);
    const again = await tableWritesDuring(database.dataSource, PAGE_VISITORS_DAILY, (runner) =>
      mergeVisitorSketches(runner, groupByKey([[entry('/a', ['v2', 'v1']), entry('/empty', [])]])),
    );
    expect(again.versions).toBe(0);
    expect([...(await stored()).keys()]).toEqual(['/a']);
  });

  it('reaches the stored rows by key and row id, without scanning the table', async () => {
    // Enough stored rows, and a merge touching enough of them, that a join would be planned as
    // a sequential scan of the table hashed against the merge.
    const pages = Array.from({ length: 3_000 }, (_, i) => `/p${String(i).padStart(5, '0')}`);
    await merge(pages.map((page) => entry(page, [`${page}-v`])));
    await database.dataSource.query(`ANALYZE ${PAGE_VISITORS_DAILY}`);

    const half = pages.filter((_, i) => i % 2 === 0);
    let seqScanAfter = '';
    const scans = await tableWritesDuring(
      database.dataSource,
      PAGE_VISITORS_DAILY,
      async (runner) => {
        await mergeVisitorSketches(
          runner,
          groupByKey([half.map((page) => entry(page, ['again']))]),
        );
        const [setting] = (await runner.query(
          "SELECT current_setting('enable_seqscan') AS value",
        )) as Array<{ value: string }>;
        seqScanAfter = setting.value;
      },
    );
    // Only the sketches that 'again' raises are rewritten (in some it lands in a lower rank).
    const raised = half.filter(
      (page) => !sketchOf([`${page}-v`, 'again']).equals(sketchOf([`${page}-v`])),
    ).length;
    expect(raised).toBeGreaterThan(1_400);
    const { seqScans, updated, versions } = scans;
    expect({ seqScans, updated, versions, seqScanAfter }).toEqual({
      seqScans: 0,
      updated: raised,
      versions: raised,
      seqScanAfter: 'on',
    });
    // The planner setting the UPDATE runs under does not outlive it in the merge's transaction.
    expect((await stored()).get('/p00000')).toEqual(sketchOf(['/p00000-v', 'again']));
  });

  it('keeps the visitors of both of two merges that insert the same new pages at once', async () => {
    const pages = Array.from({ length: 200 }, (_, i) => `/race${String(i).padStart(3, '0')}`);
    await withTwoTransactions(database.dataSource, async (first, second) => {
      await mergeVisitorSketches(first, groupByKey([pages.map((page) => entry(page, ['first']))]));
      // The second merge's insert waits for the first's uncommitted rows, finds them committed,
      // and goes round again to lock and update them.
      const racing = mergeVisitorSketches(
        second,
        groupByKey([pages.map((page) => entry(page, ['second']))]),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await first.commitTransaction();
      await racing;
      await second.commitTransaction();
    });
    const sketches = await stored();
    for (const page of pages) expect(sketches.get(page)).toEqual(sketchOf(['first', 'second']));
  });
});
