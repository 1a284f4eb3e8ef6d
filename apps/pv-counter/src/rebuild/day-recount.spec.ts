import type { IncomingEvent, StreamLogBatch } from '@lib/queue';
import { HyperLogLog } from '../storage';
import { DayRecount } from './day-recount';

const RECORD_TIME = Date.parse('2026-03-01T12:00:00Z');

function batch(partition: number, first: number, payloads: object[]): StreamLogBatch {
  const events = payloads.map((payload, i): IncomingEvent<unknown> => {
    const position = { topic: 'page-views', partition, offset: String(first + i) };
    return {
      stream: 'page-views',
      eventId: 'x',
      payload,
      position,
    };
  });
  // Record times are those of the payloads that lack receivedAt (all of these): a fixed instant.
  const metadataOf = (event: IncomingEvent<unknown>) => ({
    key: null,
    headers: {},
    attempt: 0,
    source: event.position,
    position: event.position,
    timestamp: RECORD_TIME,
  });
  return {
    partition,
    events,
    malformed: 0,
    nextOffset: String(first + payloads.length),
    metadataOf,
  };
}

const view = (eventId: string, pageId: string, occurredAt: string, visitorId?: string) => ({
  eventId,
  pageId,
  occurredAt,
  visitorId,
});

describe('DayRecount', () => {
  it('counts the day below the limits, holds the rest until raised, once per eventId', () => {
    const recount = new DayRecount(
      '2026-03-01',
      [{ partition: 0, offset: '10' }],
      new Map([[0, 13n]]),
    );
    recount.add(
      batch(0, 10, [
        view('a', 'home', '2026-03-01T10:00:00Z', 'v1'),
        view('b', 'home', '2026-02-28T23:59:59Z', 'v2'), // the day before
        view('a', 'home', '2026-03-01T10:00:00Z', 'v1'), // a retried copy
        view('c', 'home', '2026-03-01T11:00:00Z', 'v3'), // at the limit: held
        { pageId: 'no-event-id' },
      ]),
    );
    expect(recount.pages.get('home')?.views).toBe(1);
    expect(recount.behind()).toBe(0n);
    recount.raiseLimits(new Map([[0, 20n]]));
    expect(recount.behind()).toBe(5n);
    recount.add(
      batch(0, 15, [
        view('d', 'about', '2026-03-01T00:00:00+01:00'),
        view('e', 'x', '2026-03-01T12:00:00Z'),
      ]),
    );
    recount.raiseLimits(new Map([[0, 20n]]));
    expect(recount.pages.get('home')?.views).toBe(2);
    expect(recount.pages.get('about')).toBeUndefined(); // 2026-02-28T23:00Z
    expect(recount.pages.get('x')).toEqual({ views: 1 });
    const expected = new HyperLogLog();
    expected.add('v1');
    expected.add('v3');
    expect(recount.pages.get('home')?.sketch?.toBytes()).toEqual(expected.toBytes());
    expect(recount.summary()).toEqual({
      records: 7,
      views: 3,
      duplicates: 1,
      invalid: 1,
      pages: 2,
    });
    expect(() => recount.raiseLimits(new Map([[0, 15n]]))).toThrow(/went back/);
  });
});
