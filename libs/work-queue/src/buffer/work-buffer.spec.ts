import type { IncomingEvent } from '@lib/queue';
import type { BatchShape } from './batch-shape';
import { compareOffsets } from './partition-bucket';
import { WorkBuffer } from './work-buffer';

function event(
  pageId: string,
  partition: number,
  offset: number,
  eventId = `e${partition}-${offset}`,
  topic = 'pv',
): IncomingEvent<{ pageId: string }> {
  const position = { topic, partition, offset: String(offset) };
  return {
    stream: 'pv',
    eventId,
    payload: { pageId },
    position,
  };
}

const counts: BatchShape<{ pageId: string }, { pageId: string; n: number }> = {
  keyOf: (e) => e.payload.pageId,
  valueOf: (e) => ({ pageId: e.payload.pageId, n: 1 }),
  merge: (a, b) => ({ pageId: a.pageId, n: a.n + b.n }),
};
const rows: BatchShape<{ pageId: string }, string> = {
  valueOf: (e) => `${e.payload.pageId}@${e.position.offset}`,
};

describe('WorkBuffer', () => {
  it('merges aggregates by key and keeps partitions apart with their highest offset', () => {
    const buffer = new WorkBuffer(counts, 'aggregate', true);
    void buffer.add([event('a', 0, 5), event('b', 0, 6), event('a', 1, 9), event('a', 0, 7)]);

    expect(buffer.events).toBe(4);
    const [p0, p1] = [...buffer.buckets.values()];
    expect([p0.partition, p0.maxOffset, p0.nextOffset(null), p0.events]).toEqual([0, '7', '8', 3]);
    expect([p1.partition, p1.maxOffset]).toEqual([1, '9']);
    expect(buffer.materialize([p0, p1]).batch).toEqual([
      { pageId: 'a', n: 3 },
      { pageId: 'b', n: 1 },
    ]);
  });

  it('never moves next_offset below the stored one', () => {
    const buffer = new WorkBuffer(counts, 'aggregate', true);
    void buffer.add(event('a', 0, 5));
    const [bucket] = buffer.buckets.values();
    expect(bucket.nextOffset('100')).toBe('100');
    expect(bucket.nextOffset('3')).toBe('6');
  });

  it('maps every event before buffering any, so a throwing mapper leaves it untouched', () => {
    const shape = {
      ...counts,
      valueOf: (e: IncomingEvent<{ pageId: string }>) => {
        if (e.payload.pageId === 'bad') throw new Error('invalid');
        return { pageId: e.payload.pageId, n: 1 };
      },
    };
    const buffer = new WorkBuffer(shape, 'aggregate', false);
    expect(() => buffer.add([event('a', 0, 1), event('bad', 0, 2)])).toThrow('invalid');
    expect(buffer.events).toBe(0);
    expect(buffer.buckets.size).toBe(0);
  });

  it('keeps the first delivery of an event id and materializes only ids not claimed before, each once', () => {
    const buffer = new WorkBuffer(counts, 'dedupe', false);
    void buffer.add([
      event('a', 0, 1, 'x'),
      event('a', 0, 2, 'x'),
      event('a', 0, 3, 'y'),
      event('b', 0, 4, 'z'),
    ]);
    // The same id from a retry topic lands in another bucket; it must still count once.
    void buffer.add(event('a', 0, 7, 'y', 'pv.g.retry.10s'));
    const buckets = [...buffer.buckets.values()];

    expect(buffer.events).toBe(5);
    expect(buffer.eventIds(buckets)).toEqual(['x', 'y', 'z']);
    const { batch, applied } = buffer.materialize(buckets, new Set(['z']));
    expect(applied).toBe(2);
    expect(batch).toEqual([{ pageId: 'a', n: 2 }]);
  });

  it('materializes one bucket whole when nothing was claimed before, and without the claimed ids else', () => {
    const buffer = new WorkBuffer(counts, 'dedupe', false);
    void buffer.add([event('a', 0, 1, 'x'), event('a', 0, 2, 'x'), event('b', 0, 3, 'y')]);
    const buckets = [...buffer.buckets.values()];

    expect(buffer.materialize(buckets)).toEqual({
      batch: [
        { pageId: 'a', n: 1 },
        { pageId: 'b', n: 1 },
      ],
      applied: 2,
    });
    const claimed = new Set(['y']);
    expect(buffer.materialize(buckets, claimed)).toEqual({
      batch: [{ pageId: 'a', n: 1 }],
      applied: 1,
    });
    expect([...claimed]).toEqual(['y']);
  });

  it('absorbs a newer buffer after the older one, without losing or repeating anything', () => {
    const older = new WorkBuffer(rows, 'append', true);
    void older.add([event('a', 0, 1), event('b', 1, 1)]);
    const newer = older.fresh();
    void newer.add([event('c', 0, 2), event('d', 2, 1)]);
    older.absorb(newer);

    expect(older.events).toBe(4);
    const buckets = [...older.buckets.values()];
    expect(buckets.map((b) => `${b.partition}:${b.maxOffset}`)).toEqual(['0:2', '1:1', '2:1']);
    expect(older.materialize(buckets).batch).toEqual(['a@1', 'c@2', 'b@1', 'd@1']);
  });

  it('settles every add() of a bucket, including those absorbed into it', async () => {
    const older = new WorkBuffer(rows, 'append', false);
    const first = older.add(event('a', 0, 1));
    const newer = older.fresh();
    const second = newer.add([event('b', 0, 2), event('c', 3, 1)]);
    older.absorb(newer);

    for (const bucket of older.buckets.values()) bucket.resolve();
    await expect(Promise.all([first, second])).resolves.toBeDefined();
  });

  it('removes selected buckets and their event count', () => {
    const buffer = new WorkBuffer(rows, 'append', false);
    void buffer.add([event('a', 0, 1), event('b', 1, 1), event('c', 1, 2)]);
    const removed = buffer.remove((b) => b.partition === 1);
    expect(removed.map((b) => b.events)).toEqual([2]);
    expect(buffer.events).toBe(1);
  });

  it('requires an event id when de-duplicating', () => {
    const buffer = new WorkBuffer(counts, 'dedupe', false);
    expect(() => buffer.add(event('a', 0, 1, ''))).toThrow(/no eventId/);
  });
});

describe('compareOffsets', () => {
  it('orders decimal offsets numerically, beyond 2^53 too', () => {
    expect(compareOffsets('9', '10')).toBeLessThan(0);
    expect(compareOffsets('9007199254740993', '9007199254740992')).toBeGreaterThan(0);
    expect(compareOffsets('42', '42')).toBe(0);
  });
});
