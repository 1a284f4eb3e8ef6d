import { QueueContext, type IncomingEvent } from '@lib/queue';
import { EventValidationError, isRetriable } from '@lib/retry';
import { AppLogsConsumer } from './app-logs.consumer';
import type { AppLogsQueue } from './app-logs.queue';

/** Record times by event id, as {@link context} reports them. */
const recordTimes = new Map<string, number>();

function event(eventId: string, payload: unknown, timestamp?: number): IncomingEvent<unknown> {
  if (timestamp !== undefined) recordTimes.set(eventId, timestamp);
  return {
    stream: 'app-logs',
    eventId,
    payload,
    position: { topic: 'app-logs', partition: 0, offset: eventId },
  };
}

/** A handler's context: each event's metadata, its record time from {@link event}. */
function context(): QueueContext {
  return new QueueContext('app-logs', 'memory', {
    metadataOf: (e) => ({
      key: null,
      headers: {},
      attempt: 0,
      source: e.position,
      position: e.position,
      timestamp: recordTimes.get(e.position.offset),
    }),
  });
}

const valid = (eventId: string) => ({
  eventId,
  service: 'svc',
  kind: 'request',
  level: 'info',
  message: 'GET /x',
  occurredAt: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.100Z',
});

describe('AppLogsConsumer', () => {
  it('adds valid records to the queue and fails invalid ones alone with a non-retryable EventValidationError', async () => {
    const add = jest.fn().mockResolvedValue(undefined);
    const consumer = new AppLogsConsumer({ queue: { add } } as unknown as AppLogsQueue);
    const result = await consumer.handle(
      [
        event('a', valid('a')),
        event('b', { ...valid('b'), kind: 'nonsense' }),
        event('c', { ...valid('c'), unknownField: 1 }),
        event('d', 'not an object'),
        // Shipped by an app's log shipper: no receivedAt, the record's time stands in.
        event('e', { ...valid('e'), receivedAt: undefined }, Date.parse('2026-01-01T00:00:01Z')),
      ],
      context(),
    );
    expect(add).toHaveBeenCalledTimes(1);
    expect(add.mock.calls[0][0].map((e: IncomingEvent) => e.eventId)).toEqual(['a', 'e']);
    expect(add.mock.calls[0][0][1].payload).toMatchObject({
      occurredAt: '2026-01-01T00:00:00.000Z',
      receivedAt: '2026-01-01T00:00:01.000Z',
    });
    expect(result.failed?.map((f) => f.eventId)).toEqual(['b', 'c', 'd']);
    for (const failure of result.failed ?? []) {
      expect(failure.error).toBeInstanceOf(EventValidationError);
      expect(isRetriable(failure.error)).toBe(false);
    }
    expect(String((result.failed?.[0].error as Error).message)).toContain('kind');
  });

  it('does not touch the queue when every record is invalid', async () => {
    const add = jest.fn();
    const consumer = new AppLogsConsumer({ queue: { add } } as unknown as AppLogsQueue);
    const result = await consumer.handle([event('x', { service: 'svc' })], context());
    expect(add).not.toHaveBeenCalled();
    expect(result.failed).toHaveLength(1);
  });

  it('hands a queue failure on as the pending work of the batch, which fails it whole (redelivered)', async () => {
    const add = jest.fn().mockRejectedValue(new Error('discarded'));
    const consumer = new AppLogsConsumer({ queue: { add } } as unknown as AppLogsQueue);
    const { pending } = await consumer.handle([event('a', valid('a'))], context());
    await expect(pending).rejects.toThrow('discarded');
  });
});
