/**
 * Unique visitors end to end through the storage against PostgreSQL: flushes record the visitors
 * (writeDailyViews), the sketch merge folds them in shard by shard between flushes
 * (VisitorSketchMerger), and PageViewsQuery reads them. Every page of up to EXACT_LIMIT visitors
 * reads its exact number however its visitors were split over flushes, shards and merges; a
 * larger page reads the estimate of one HyperLogLog of exactly its visitors; and a page's sketches
 * of two days merge into the sketch of the union of their visitors.
 */
import type { ShutdownCoordinator } from '@lib/lifecycle';
import { Registry } from 'prom-client';
import { seededRandom } from '../../../test/support/seeded-random';
import { sketchOf, storedSketches } from '../../../test/support/sketches';
import { migratedDatabasePerTest } from '../../../test/support/database-per-test';
import { HyperLogLog } from '../hll/hyperloglog';
import { EXACT_LIMIT } from '../hll/sketch-format';
import { visitorUpdate } from '../hll/visitor-hashes';
import { MERGE_SHARDS } from '../merge/merge-shards';
import { VisitorSketchMerger } from '../merge/visitor-sketch-merger';
import type { DailyPageViews, VisitorTrail } from '../write/daily-page-views';
import { writeDailyViews } from '../write/daily-views.writer';
import { PageViewsQuery } from './page-views.query';

const DAYS = ['2026-03-01', '2026-03-02'];
const FLUSHES = 8;

interface View {
  readonly day: string;
  readonly pageId: string;
  readonly visitor: string;
}

/** Pages of random sizes (fixed seed), their visitors and views (each visitor seen 1–3 times). */
function traffic(random: () => number) {
  const visitors = new Map<string, Set<string>>(); // `${day}|${pageId}` → visitors
  const views: View[] = [];
  const sizes: number[] = Array.from({ length: 240 }, () => 1 + Math.floor(random() * EXACT_LIMIT));
  sizes.push(1, EXACT_LIMIT, EXACT_LIMIT + 1, 1_500, 5_000, 20_000);
  sizes.forEach((size, p) => {
    const pageId = `/page-${p}`;
    // The second day sees some of the pages, with half of their visitors again.
    const days = p % 3 === 0 ? DAYS : DAYS.slice(0, 1);
    for (const day of days) {
      const seen = new Set<string>();
      for (let i = 0; i < size; i++) {
        const visitor = day === DAYS[0] || i % 2 === 0 ? `${pageId}-v${i}` : `${pageId}-w${i}`;
        seen.add(visitor);
        const times = 1 + Math.floor(random() * 3);
        for (let t = 0; t < times; t++) views.push({ day, pageId, visitor });
      }
      visitors.set(`${day}|${pageId}`, seen);
    }
  });
  // Shuffled (Fisher–Yates), so each page's visitors spread over every flush.
  for (let i = views.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [views[i], views[j]] = [views[j], views[i]];
  }
  return { visitors, views };
}

/** One flush's rows, one per (day, page) in key order, as the work queue hands them over. */
function flushRows(views: readonly View[]): DailyPageViews[] {
  const rows = new Map<
    string,
    { day: string; pageId: string; views: number; trail?: VisitorTrail }
  >();
  for (const { day, pageId, visitor } of views) {
    const key = `${day}|${pageId}`;
    const row = rows.get(key) ?? { day, pageId, views: 0 };
    row.views++;
    const hash = visitorUpdate(visitor);
    row.trail = row.trail === undefined ? hash : { older: row.trail, newer: hash };
    rows.set(key, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, row]) => ({
      day: row.day,
      pageId: row.pageId,
      views: row.views,
      visitors: row.trail,
    }));
}

describe('unique visitors, flushed, merged and read', () => {
  const database = migratedDatabasePerTest('unique-visitors', { poolSize: 2 });

  function merger(): VisitorSketchMerger {
    const shutdown = { register: () => undefined } as unknown as ShutdownCoordinator;
    return new VisitorSketchMerger(
      database.dataSource,
      { SKETCH_MERGE_INTERVAL_MS: 60_000 },
      shutdown,
      new Registry(),
    );
  }

  it('reads every page of up to 1,000 visitors exactly, and a larger one as one sketch of them all', async () => {
    const random = seededRandom(20_260_301);
    const { visitors, views } = traffic(random);
    const sketches = merger();
    const perFlush = Math.ceil(views.length / FLUSHES);
    for (let f = 0; f < FLUSHES; f++) {
      const rows = flushRows(views.slice(f * perFlush, (f + 1) * perFlush));
      await database.dataSource.transaction((manager) =>
        writeDailyViews(manager.queryRunner!, rows),
      );
      // Some shards merged between flushes, so sketches grow over several merges.
      for (let s = 0; s < 3; s++)
        await sketches.mergeAll(Infinity, Math.floor(random() * MERGE_SHARDS));
    }
    await sketches.mergeAll();

    const query = new PageViewsQuery(database.dataSource);
    const wrong: string[] = [];
    let exactPages = 0;
    for (const [key, seen] of visitors) {
      const [day, pageId] = key.split('|');
      const { uniqueVisitors } = await query.ofPage(pageId, day);
      const expected = seen.size <= EXACT_LIMIT ? seen.size : estimateOf(seen);
      if (seen.size <= EXACT_LIMIT) exactPages++;
      if (uniqueVisitors !== expected)
        wrong.push(
          `${key}: ${uniqueVisitors} unique visitors, expected ${expected} of ${seen.size}`,
        );
      if (Math.abs(uniqueVisitors - seen.size) > seen.size * 0.02)
        wrong.push(`${key}: ${uniqueVisitors} unique visitors, ${seen.size} ± 2 % expected`);
    }
    expect(wrong).toEqual([]);
    expect(exactPages).toBeGreaterThan(300);

    // Stored bytes are those of one sketch of the page's visitors, however they were merged
    // (compared with Buffer.equals: jest's deep equality walks 8 KB sketches byte by byte).
    const differing: string[] = [];
    for (const day of DAYS) {
      const stored = await storedSketches(database.dataSource, day);
      for (const [key, seen] of visitors)
        if (key.startsWith(day) && !stored.get(key.slice(11))?.equals(sketchOf([...seen])))
          differing.push(key);
    }
    expect(differing).toEqual([]);
    const top = await query.top(DAYS[0], 5);
    expect(top.pages.map((page) => page.uniqueVisitors)).toEqual(
      top.pages.map((page) => {
        const seen = visitors.get(`${DAYS[0]}|${page.pageId}`)!;
        return seen.size <= EXACT_LIMIT ? seen.size : estimateOf(seen);
      }),
    );
  });

  it('merges a page’s days into the sketch of all their visitors: exact up to 1,000, one sketch above', async () => {
    const { visitors, views } = traffic(seededRandom(20_260_302));
    await database.dataSource.transaction((manager) =>
      writeDailyViews(manager.queryRunner!, flushRows(views)),
    );
    await merger().mergeAll();
    const [first, second] = await Promise.all(
      DAYS.map((day) => storedSketches(database.dataSource, day)),
    );
    let checked = 0;
    for (const [pageId, sketch] of second) {
      const both = new Set([
        ...visitors.get(`${DAYS[0]}|${pageId}`)!,
        ...visitors.get(`${DAYS[1]}|${pageId}`)!,
      ]);
      const union = HyperLogLog.union(
        HyperLogLog.fromBytes(first.get(pageId)!),
        HyperLogLog.fromBytes(sketch),
      );
      expect(union.toBytes().equals(sketchOf([...both]))).toBe(true);
      if (both.size <= EXACT_LIMIT) expect(union.estimate()).toBe(both.size);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(80);
  });
});

function estimateOf(visitors: ReadonlySet<string>): number {
  const sketch = new HyperLogLog();
  for (const visitor of visitors) sketch.add(visitor);
  return sketch.estimate();
}
