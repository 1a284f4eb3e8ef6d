import { QueueContext, type IncomingEvent } from '@lib/queue';
import { EventValidationError, isRetriable } from '@lib/retry';
import { DeliveryResultsConsumer } from './delivery-results.consumer';
import type { DeliveryResultsQueue } from './delivery-results.queue';
import { lifecycleRankSql, LIFECYCLE_RANK } from './delivery-status';

/** Record times by event id, as {@link context} reports them. */
const recordTimes = new Map<string, number>();

function event(eventId: string, payload: unknown, timestamp?: number): IncomingEvent<unknown> {
  if (timestamp !== undefined) recordTimes.set(eventId, timestamp);
  return {
    stream: 'delivery-results',
    eventId,
    payload,
    position: { topic: 'delivery-results', partition: 0, offset: eventId },
  };
}

/** A handler's context: each event's metadata, its record time from {@link event}. */
function context(): QueueContext {
  return new QueueContext('delivery-results', 'memory', {
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
  messageId: 'm-1',
  requestId: 'r-1',
  channel: 'sms',
  status: 'sent',
  occurredAt: '2026-01-01T00:00:00.000Z',
  receivedAt: '2026-01-01T00:00:00.100Z',
});

describe('DeliveryResultsConsumer', () => {
  it('queues valid records and fails invalid ones alone, not retryable', async () => {
    const add = jest.fn().mockResolvedValue(undefined);
    const consumer = new DeliveryResultsConsumer({
      queue: { add },
    } as unknown as DeliveryResultsQueue);
    const noRequest: Record<string, unknown> = { ...valid('e'), detail: 'carrier ok' };
    delete noRequest.requestId;
    const result = await consumer.handle(
      [
        event('a', valid('a')),
        event('b', { ...valid('b'), status: 'read' }),
        event('c', { ...valid('c'), extra: true }),
        event('d', { ...valid('d'), occurredAt: undefined }),
        event('e', noRequest),
        event('f', null),
      ],
      context(),
    );
    expect(add.mock.calls[0][0].map((e: IncomingEvent) => e.eventId)).toEqual(['a', 'd', 'e']);
    expect(add.mock.calls[0][0][1].payload.occurredAt).toBe(valid('d').receivedAt);
    expect(result.failed?.map((f) => f.eventId)).toEqual(['b', 'c', 'f']);
    for (const failure of result.failed ?? []) {
      expect(failure.error).toBeInstanceOf(EventValidationError);
      expect(isRetriable(failure.error)).toBe(false);
    }
    expect((result.failed?.[0].error as Error).message).toContain('status');
  });

  it('hands a queue failure on as the pending work of the batch, which fails it whole (redelivered)', async () => {
    const add = jest.fn().mockRejectedValue(new Error('discarded'));
    const consumer = new DeliveryResultsConsumer({
      queue: { add },
    } as unknown as DeliveryResultsQueue);
    const { pending } = await consumer.handle([event('a', valid('a'))], context());
    await expect(pending).rejects.toThrow('discarded');
  });

  it('ranks the lifecycle for ties of occurredAt, final states alike', () => {
    expect(LIFECYCLE_RANK.accepted).toBeLessThan(LIFECYCLE_RANK.sent);
    expect(LIFECYCLE_RANK.sent).toBeLessThan(LIFECYCLE_RANK.delivered);
    expect(LIFECYCLE_RANK.failed).toBe(LIFECYCLE_RANK.expired);
    expect(lifecycleRankSql('status')).toBe(
      "CASE status WHEN 'accepted' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'failed' THEN 2 WHEN 'expired' THEN 2 ELSE 3 END",
    );
  });
});
