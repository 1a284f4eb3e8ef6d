import { intakeMessages } from './intake-messages';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('intakeMessages: event ids', () => {
  it('stamps new events with time-ordered UUIDs, ascending in the order they were sent', () => {
    const first = intakeMessages('page-views', [
      { pageId: '/a' },
      { pageId: '/b' },
      { pageId: '/c' },
    ]);
    const second = intakeMessages('page-views', { pageId: '/d' });
    if (!first.ok || !second.ok) throw new Error('valid bodies were refused');
    const ids = [...first.eventIds, ...second.eventIds];
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort()).toEqual(ids); // what keeps processed_events' primary key appending
    expect(first.messages.map((m) => (m.value as { eventId: string }).eventId)).toEqual(
      first.eventIds,
    );
  });

  it("keeps the client's eventId", () => {
    const result = intakeMessages('page-views', { pageId: '/a', eventId: 'client-1' });
    expect(result.ok && result.eventIds).toEqual(['client-1']);
  });
});
