/**
 * VisitorSketchMerger against PostgreSQL: it merges what flushes recorded and deletes it, in
 * batches, on its schedule and at shutdown, and keeps the rows when a merge fails.
 */
import type { ShutdownCoordinator, ShutdownParticipant } from '@lib/lifecycle';
import { Registry } from 'prom-client';
import { waitFor } from '@test/support';
import { visitorUpdate } from '../hll/visitor-hashes';
import { sketchOf, storedSketches } from '../../../test/support/sketches';
import { ROWS_PER_MERGE, VisitorSketchMerger } from './visitor-sketch-merger';
import { PAGE_VISITORS_DAILY } from './visitor-sketches.writer';
import { encodeVisitorUpdates } from './visitor-updates.codec';
import { appendVisitorUpdates, PAGE_VISITOR_UPDATES } from './visitor-updates.store';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';

const DAY = '2026-03-01';

describe('VisitorSketchMerger', () => {
  let participants: ShutdownParticipant[] = [];
  let registry: Registry;
  // The mergers' shutdown (their final merge) runs before the database closes.
  const database = migratedDatabasePerTest('visitor-sketch-merger', {
    poolSize: 4,
    beforeClose: async () => {
      for (const participant of participants) await participant.run();
    },
  });

  beforeEach(() => {
    participants = [];
    registry = new Registry();
  });

  function merger(intervalMs = 60_000): VisitorSketchMerger {
    const shutdown = {
      register: (p: ShutdownParticipant) => participants.push(p),
    } as unknown as ShutdownCoordinator;
    return new VisitorSketchMerger(
      database.dataSource,
      { SKETCH_MERGE_INTERVAL_MS: intervalMs },
      shutdown,
      registry,
    );
  }

  /**
   * Records `count` rows as flushes do, all in `shard`: row `i` saw visitor `v<i>` on
   * `/p<i % pages>` and `/all` (the flush writer's split into shards is daily-views.writer.spec's).
   */
  async function recordFlushes(count: number, pages: number, shard = 0): Promise<void> {
    for (let i = 0; i < count; i++) {
      await database.dataSource.query(
        `INSERT INTO ${PAGE_VISITOR_UPDATES} (shard, updates) VALUES ($1, $2)`,
        [
          shard,
          encodeVisitorUpdates([
            { day: DAY, pageId: '/all', hashes: [visitorUpdate(`v${i}`)] },
            { day: DAY, pageId: `/p${i % pages}`, hashes: [visitorUpdate(`v${i}`)] },
          ]),
        ],
      );
    }
  }

  const stored = () => storedSketches(database.dataSource, DAY);

  async function waiting(): Promise<number> {
    const [row] = (await database.dataSource.query(
      `SELECT count(*)::int AS n FROM ${PAGE_VISITOR_UPDATES}`,
    )) as Array<{
      n: number;
    }>;
    return row.n;
  }

  it('merges every recorded flush into the sketches and deletes them, a batch per transaction', async () => {
    const flushes = ROWS_PER_MERGE * 2 + 5;
    await recordFlushes(flushes, 3);
    const instance = merger();
    expect(await instance.mergeOnce()).toBe(ROWS_PER_MERGE);
    expect(await waiting()).toBe(flushes - ROWS_PER_MERGE);
    expect(await instance.mergeAll()).toBe(flushes - ROWS_PER_MERGE);
    expect(await waiting()).toBe(0);

    const sketches = await stored();
    const visitors = Array.from({ length: flushes }, (_, i) => `v${i}`);
    expect(sketches.get('/all')).toEqual(sketchOf(visitors));
    for (let p = 0; p < 3; p++)
      expect(sketches.get(`/p${p}`)).toEqual(sketchOf(visitors.filter((_, i) => i % 3 === p)));
    const text = await registry.getSingleMetricAsString('pv_sketch_merge_update_rows_total');
    expect(text).toContain(`pv_sketch_merge_update_rows_total ${flushes}`);
  });

  it('merges one shard at a time when asked, and every shard otherwise', async () => {
    await recordFlushes(3, 1, 4);
    await recordFlushes(2, 1, 7);
    const instance = merger();
    expect(await instance.mergeAll(Infinity, 7)).toBe(2);
    expect(await waiting()).toBe(3);
    expect((await stored()).get('/all')).toEqual(sketchOf(['v0', 'v1']));
    expect(await instance.mergeAll(Infinity, 1)).toBe(0);
    expect(await instance.mergeAll()).toBe(3);
    expect(await waiting()).toBe(0);
  });

  it('starts no transaction after its deadline (the merge at shutdown leaves a backlog for the next start)', async () => {
    await recordFlushes(ROWS_PER_MERGE * 2 + 5, 3);
    expect(await merger().mergeAll(Date.now())).toBe(ROWS_PER_MERGE);
    expect(await waiting()).toBe(ROWS_PER_MERGE + 5);
  });

  it('shares the rows between instances merging at once, each row merged once', async () => {
    const flushes = ROWS_PER_MERGE * 4;
    await recordFlushes(flushes, 7);
    const merged = await Promise.all([
      merger().mergeAll(),
      merger().mergeAll(),
      merger().mergeAll(),
    ]);
    // Every row was taken by exactly one of them, and their sketch writes did not deadlock.
    expect(merged.reduce((sum, rows) => sum + rows, 0)).toBe(flushes);
    expect(await waiting()).toBe(0);
    const visitors = Array.from({ length: flushes }, (_, i) => `v${i}`);
    const sketches = await stored();
    expect(sketches.get('/all')).toEqual(sketchOf(visitors));
    for (let p = 0; p < 7; p++)
      expect(sketches.get(`/p${p}`)).toEqual(sketchOf(visitors.filter((_, i) => i % 7 === p)));
  });

  it('merges on its schedule, and what is left when stopped', async () => {
    const instance = merger(20);
    instance.onApplicationBootstrap();
    expect(participants.map((p) => p.name)).toEqual(['sketch merge']);
    await recordFlushes(3, 1);
    await waitFor(async () => ((await waiting()) === 0 ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect((await stored()).get('/all')).toEqual(sketchOf(['v0', 'v1', 'v2']));

    const later = merger(60_000); // a schedule that would not come round: only stop() merges
    later.onApplicationBootstrap();
    await instance.stop();
    await database.dataSource.transaction((manager) =>
      appendVisitorUpdates(manager.queryRunner!, [
        { day: DAY, pageId: '/all', hashes: [visitorUpdate('v3')] },
      ]),
    );
    await later.stop();
    expect(await waiting()).toBe(0);
    expect((await stored()).get('/all')).toEqual(sketchOf(['v0', 'v1', 'v2', 'v3']));
  });

  it('leaves a row that does not decode in the table, reports it once and merges the others', async () => {
    await recordFlushes(1, 1);
    await database.dataSource.query(
      `INSERT INTO ${PAGE_VISITOR_UPDATES} (shard, updates) VALUES (0, $1)`,
      [Buffer.from('2026-03-01')],
    );
    await database.dataSource.transaction((manager) =>
      appendVisitorUpdates(manager.queryRunner!, [
        { day: DAY, pageId: '/all', hashes: [visitorUpdate('v9')] },
      ]),
    );
    const instance = merger();
    const errors = jest.spyOn(instance['logger'], 'error').mockImplementation(() => undefined);
    expect(await instance.mergeAll()).toBe(3);
    expect(await waiting()).toBe(1);
    expect((await stored()).get('/all')).toEqual(sketchOf(['v0', 'v9']));
    expect(errors.mock.calls.map(([message]) => message)).toEqual([
      expect.stringMatching(
        /^page_visitor_updates row \d+ does not decode \(visitor updates: entry at byte 0 runs past the end \(10 bytes\)\): left in the table and skipped/,
      ),
    ]);
    // Skipped from then on: not read, not reported again.
    expect(await instance.mergeAll()).toBe(0);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(await registry.getSingleMetricAsString('pv_sketch_merge_rejected_rows_total')).toContain(
      'pv_sketch_merge_rejected_rows_total 1',
    );
  });

  it('keeps every row of a merge that fails, and names the problem', async () => {
    await recordFlushes(2, 1);
    // A stored sketch that does not decode fails the merge rather than being overwritten.
    await database.dataSource.query(
      `INSERT INTO ${PAGE_VISITORS_DAILY} (day, page_id, hll) VALUES ($1, '/all', '\\x0907'::bytea)`,
      [DAY],
    );
    await expect(merger().mergeOnce()).rejects.toThrow('not a HyperLogLog sketch of precision 14');
    expect(await waiting()).toBe(2);
    expect((await stored()).get('/p0')).toBeUndefined();
    expect(await registry.getSingleMetricAsString('pv_sketch_merge_duration_seconds')).toContain(
      'pv_sketch_merge_duration_seconds_count{outcome="failed"} 1',
    );
  });
});
