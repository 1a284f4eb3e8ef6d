import { QueueContext, type IncomingEvent } from '@lib/queue';
import { EventValidationError, isRetriable } from '@lib/retry';
import type { DailyViewsQueue } from './daily-views.queue';
import { PageViewsConsumer } from './page-views.consumer';

function event(eventId: string, payload: unknown): IncomingEvent<unknown> {
  return {
    stream: 'page-views',
    eventId,
    payload,
    position: { topic: 'page-views', partition: 0, offset: eventId },
  };
}

/** A context whose events all have the record time `timestamp`. */
function context(timestamp?: number): QueueContext {
  return new QueueContext('page-views', 'memory', {
    metadataOf: (e) => ({
      key: 'home',
      headers: {},
      attempt: 0,
      source: e.position,
      position: e.position,
      timestamp,
    }),
  });
}

const valid = (eventId: string) => ({
  eventId,
  pageId: 'home',
  visitorId: 'v1',
  occurredAt: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.100Z',
});

describe('PageViewsConsumer', () => {
  it('adds valid records to the queue and fails invalid ones alone with a non-retryable EventValidationError', async () => {
    const add = jest.fn().mockResolvedValue(undefined);
    const consumer = new PageViewsConsumer({ queue: { add } } as unknown as DailyViewsQueue);
    const anonymous: Record<string, unknown> = valid('f');
    delete anonymous.visitorId;
    const result = await consumer.handle(
      [
        event('a', valid('a')),
        event('b', { ...valid('b'), pageId: '' }),
        event('c', { ...valid('c'), unknownField: 1 }),
        event('d', 'not an object'),
        event('e', { ...valid('e'), occurredAt: undefined }),
        event('f', anonymous),
        event('g', { ...valid('g'), occurredAt: 'yesterday' }),
        event('h', { ...valid('h'), pageId: 'x'.repeat(201) }),
      ],
      context(),
    );
    expect(add).toHaveBeenCalledTimes(1);
    expect(add.mock.calls[0][0].map((e: IncomingEvent) => e.eventId)).toEqual(['a', 'e', 'f']);
    expect(result.failed?.map((f) => f.eventId)).toEqual(['b', 'c', 'd', 'g', 'h']);
    for (const failure of result.failed ?? []) {
      expect(failure.error).toBeInstanceOf(EventValidationError);
      expect(isRetriable(failure.error)).toBe(false);
    }
    expect(String((result.failed?.[0].error as Error).message)).toContain('pageId');
  });

  it("reads a missing occurredAt as receivedAt, and a missing receivedAt as the record's time", async () => {
    const add = jest.fn().mockResolvedValue(undefined);
    const consumer = new PageViewsConsumer({ queue: { add } } as unknown as DailyViewsQueue);
    const recordTime = Date.parse('2026-02-03T04:05:06.789Z');
    await consumer.handle(
      [
        event('r', { eventId: 'r', pageId: 'home', receivedAt: '2026-01-01T23:59:59+01:00' }),
        event('t', { eventId: 't', pageId: 'home' }),
        event('o', { eventId: 'o', pageId: 'home', occurredAt: '2026-01-05T00:00:00Z' }),
      ],
      context(recordTime),
    );
    const payloads = add.mock.calls[0][0].map((e: IncomingEvent) => e.payload);
    expect(payloads).toEqual([
      {
        eventId: 'r',
        pageId: 'home',
        occurredAt: '2026-01-01T23:59:59+01:00',
        receivedAt: '2026-01-01T23:59:59+01:00',
      },
      {
        eventId: 't',
        pageId: 'home',
        occurredAt: '2026-02-03T04:05:06.789Z',
        receivedAt: '2026-02-03T04:05:06.789Z',
      },
      {
        eventId: 'o',
        pageId: 'home',
        occurredAt: '2026-01-05T00:00:00Z',
        receivedAt: '2026-02-03T04:05:06.789Z',
      },
    ]);
    expect(add.mock.calls[0][0].map((e: IncomingEvent) => e.position.offset)).toEqual([
      'r',
      't',
      'o',
    ]);
  });

  it('does not touch the queue when every record is invalid', async () => {
    const add = jest.fn();
    const consumer = new PageViewsConsumer({ queue: { add } } as unknown as DailyViewsQueue);
    const result = await consumer.handle([event('x', { visitorId: 'v' })], context());
    expect(add).not.toHaveBeenCalled();
    expect(result.failed).toHaveLength(1);
  });

  it('hands a queue failure on as the pending work of the batch, which fails it whole (redelivered)', async () => {
    const add = jest.fn().mockRejectedValue(new Error('discarded'));
    const consumer = new PageViewsConsumer({ queue: { add } } as unknown as DailyViewsQueue);
    const { pending } = await consumer.handle([event('a', valid('a'))], context());
    await expect(pending).rejects.toThrow('discarded');
  });
});
