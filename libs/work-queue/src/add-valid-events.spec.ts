import { EventValidationError } from '@lib/retry';
import type { IncomingEvent } from '@lib/queue';
import { z } from 'zod';
import { addValidEvents, type EventSink } from './add-valid-events';

const schema = z.object({ eventId: z.string(), views: z.number().int() });

function eventOf(eventId: string, payload: unknown): IncomingEvent<unknown> {
  const position = { topic: 'page-views', partition: 0, offset: '0' };
  return {
    stream: 'page-views',
    eventId,
    payload,
    position,
  };
}

/** A sink whose add settles when the test says, as a work queue's settles when its flush commits. */
function manualSink() {
  const added: Array<readonly IncomingEvent<unknown>[]> = [];
  let settle!: (error?: Error) => void;
  const sink: EventSink<unknown> = {
    add: (events) => {
      added.push(events);
      return new Promise<void>(
        (resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())),
      );
    },
  };
  return { sink, added, settle: (error?: Error) => settle(error) };
}

describe('addValidEvents', () => {
  it('adds the valid events, parsed, and returns the invalid ones with the add still pending', async () => {
    const { sink, added, settle } = manualSink();
    const events = [
      eventOf('a', { eventId: 'a', views: 1, extra: true }),
      eventOf('b', { eventId: 'b', views: 'x' }),
      eventOf('c', { eventId: 'c', views: 2 }),
    ];
    const result = await addValidEvents(sink, events, schema);
    expect(added).toHaveLength(1);
    expect(added[0].map((e) => e.payload)).toEqual([
      { eventId: 'a', views: 1 },
      { eventId: 'c', views: 2 },
    ]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed![0].eventId).toBe('b');
    expect(result.failed![0].error).toBeInstanceOf(EventValidationError);
    expect(String(result.failed![0].error)).toContain('views');
    let settled = false;
    const pending = result.pending!.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    settle();
    await pending;
    expect(settled).toBe(true);
  });

  it('does not call the queue when no event is valid', async () => {
    const { sink, added } = manualSink();
    const result = await addValidEvents(sink, [eventOf('b', { eventId: 'b' })], schema);
    expect(added).toHaveLength(0);
    expect(result.failed!.map((f) => f.eventId)).toEqual(['b']);
  });

  it('passes on a rejected add as the pending work, without an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const closed: EventSink<unknown> = {
        add: () => Promise.reject(new Error('work queue closed')),
      };
      const result = await addValidEvents(
        closed,
        [eventOf('a', { eventId: 'a', views: 1 })],
        schema,
      );
      expect(result.failed).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
      await expect(result.pending).rejects.toThrow('work queue closed');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
