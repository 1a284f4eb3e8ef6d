import type { IncomingEvent } from '@lib/queue';
import { utcDay } from '@lib/contracts';
import {
  HyperLogLog,
  mergeDaily,
  raiseSketchBytes,
  trailUpdates,
  type DailyPageViews,
} from '../storage';
import { dailyKeyOf, dailyValueOf } from './daily-views';
import type { PageViewPayload } from './page-view-payload';

function event(payload: Partial<PageViewPayload>): IncomingEvent<PageViewPayload> {
  const position = { topic: 'page-views', partition: 0, offset: '0' };
  const full = {
    eventId: 'e',
    pageId: 'home',
    occurredAt: '2026-03-01T10:00:00Z',
    ...payload,
  } as PageViewPayload;
  return { stream: 'page-views', eventId: full.eventId, payload: full, position };
}

describe('daily page-view aggregation', () => {
  it('keys by the UTC day of occurredAt and the page', () => {
    expect(utcDay('2026-03-01T23:30:00-02:00')).toBe('2026-03-02');
    expect(utcDay('2026-03-02T00:30:00+02:00')).toBe('2026-03-01');
    expect(dailyKeyOf(event({ pageId: 'a|b', occurredAt: '2026-03-01T23:59:59.999Z' }))).toBe(
      '2026-03-01|a|b',
    );
  });

  it('counts one view per event and a visitor only when there is one', () => {
    expect(dailyValueOf(event({}))).toEqual({ day: '2026-03-01', pageId: 'home', views: 1 });
    const withVisitor = dailyValueOf(event({ visitorId: 'v1' }));
    expect(withVisitor.views).toBe(1);
    expect(typeof withVisitor.visitors).toBe('bigint'); // the visitor's 64-bit hash
  });

  it('merges views and visitors without mutating either side', () => {
    const values = ['v1', 'v2', undefined, 'v1', 'v3'].map((visitorId) =>
      dailyValueOf(event({ visitorId })),
    );
    const snapshot = (value: unknown) =>
      JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const snapshots = values.map(snapshot);
    const merged = values.reduce((older, newer) => mergeDaily(older, newer));
    expect(values.map(snapshot)).toEqual(snapshots);
    expect(merged.views).toBe(5);
    expect(trailUpdates(merged.visitors!)).toEqual(
      ['v1', 'v2', 'v1', 'v3'].map((v) => dailyValueOf(event({ visitorId: v })).visitors),
    );
    expect(
      HyperLogLog.fromBytes(raiseSketchBytes(null, trailUpdates(merged.visitors!))!).estimate(),
    ).toBe(3);
    const noVisitors = mergeDaily(dailyValueOf(event({})), dailyValueOf(event({})));
    expect(noVisitors).toEqual({
      day: '2026-03-01',
      pageId: 'home',
      views: 2,
      visitors: undefined,
    });
  });

  it('lists a deep trail (a busy page) without recursion; its sketch equals adding the ids', () => {
    let merged: DailyPageViews = dailyValueOf(event({ visitorId: 'visitor-0' }));
    for (let i = 1; i < 200_000; i++)
      merged = mergeDaily(merged, dailyValueOf(event({ visitorId: `visitor-${i % 50_000}` })));
    expect(merged.views).toBe(200_000);
    const expected = new HyperLogLog();
    for (let i = 0; i < 50_000; i++) expected.add(`visitor-${i}`);
    const updates = trailUpdates(merged.visitors!);
    expect(updates).toHaveLength(200_000);
    const sketch = raiseSketchBytes(null, updates)!;
    expect(sketch).toEqual(expected.toBytes());
    expect(raiseSketchBytes(sketch, trailUpdates(merged.visitors!))).toBeNull(); // nothing new the second time
  });
});
