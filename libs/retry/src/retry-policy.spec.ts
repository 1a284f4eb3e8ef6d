import { HEADERS } from '@lib/contracts';
import { failureHeaders, replayHeaders, truncateBytes } from './failure-headers';
import { decideRetry, resolveRetryPolicy, retryTiers } from './retry-policy';
import { EventValidationError, isRetriable, MalformedPayloadError } from './retry.errors';
import { formatDelay, topologyNames } from './topology-names';

class FlakyError extends Error {
  override readonly name = 'FlakyError';
}

describe('retry policy', () => {
  const policy = resolveRetryPolicy({ delaysMs: [200, 400] });

  it('fills in the defaults and derives maxAttempts from the delays', () => {
    expect(policy.maxAttempts).toBe(3);
    expect(policy.nonRetryable).toEqual(
      expect.arrayContaining(['MalformedPayloadError', 'EventValidationError']),
    );
    expect(resolveRetryPolicy().delaysMs).toEqual([1_000, 10_000, 60_000]);
  });

  it('rejects impossible policies', () => {
    expect(() => resolveRetryPolicy({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryPolicy({ delaysMs: [], maxAttempts: 2 })).toThrow(/delaysMs/);
    expect(() => resolveRetryPolicy({ delaysMs: [-1] })).toThrow(/delaysMs/);
  });

  it('retries with each delay in turn, then dead-letters', () => {
    expect(decideRetry(policy, 1, new FlakyError('x'))).toEqual({
      action: 'retry',
      delayMs: 200,
      attempt: 1,
    });
    expect(decideRetry(policy, 2, new FlakyError('x'))).toEqual({
      action: 'retry',
      delayMs: 400,
      attempt: 2,
    });
    expect(decideRetry(policy, 3, new FlakyError('x'))).toEqual({
      action: 'dead-letter',
      attempt: 3,
      reason: 'exhausted',
    });
  });

  it('repeats the last delay when maxAttempts asks for more retries than delays', () => {
    const long = resolveRetryPolicy({ delaysMs: [100], maxAttempts: 4 });
    expect(decideRetry(long, 3, new Error('x'))).toMatchObject({ action: 'retry', delayMs: 100 });
    expect(retryTiers(long)).toEqual([100]);
  });

  it('dead-letters non-retryable errors at once', () => {
    for (const error of [
      new MalformedPayloadError('bad json'),
      new EventValidationError('bad field'),
    ]) {
      expect(decideRetry(policy, 1, error)).toMatchObject({
        action: 'dead-letter',
        reason: 'non-retryable',
      });
    }
    const strict = resolveRetryPolicy({ delaysMs: [100], nonRetryable: ['FlakyError'] });
    expect(decideRetry(strict, 1, new FlakyError('x'))).toMatchObject({ reason: 'non-retryable' });
    expect(
      decideRetry(policy, 1, Object.assign(new Error('x'), { retriable: false })),
    ).toMatchObject({
      reason: 'non-retryable',
    });
    expect(isRetriable(new Error('unknown'))).toBe(true);
  });

  it('has one retry tier per distinct delay used', () => {
    expect(retryTiers(resolveRetryPolicy({ delaysMs: [100, 100, 500] }))).toEqual([100, 500]);
    expect(retryTiers(resolveRetryPolicy({ delaysMs: [100, 500], maxAttempts: 2 }))).toEqual([100]);
    expect(retryTiers(resolveRetryPolicy({ maxAttempts: 1 }))).toEqual([]);
  });
});

describe('topology names (docs/contract.md)', () => {
  it('formats delays as in the retry topic names', () => {
    expect([500, 1_000, 10_000, 90_000, 60_000, 3_600_000].map(formatDelay)).toEqual([
      '500ms',
      '1s',
      '10s',
      '90s',
      '1m',
      '1h',
    ]);
  });

  it('names Kafka and RabbitMQ resources', () => {
    expect(topologyNames.kafka.retryTopic('page-views', 'pv-counter', 10_000)).toBe(
      'page-views.pv-counter.retry.10s',
    );
    expect(topologyNames.kafka.deadLetterTopic('page-views', 'pv-counter')).toBe(
      'page-views.pv-counter.dlt',
    );
    expect(topologyNames.rabbitmq.queue('pv-counter', 'page-views')).toBe('pv-counter.page-views');
    expect(topologyNames.rabbitmq.retryQueue('pv-counter', 'page-views', 1_000)).toBe(
      'pv-counter.page-views.retry.1s',
    );
    expect(topologyNames.rabbitmq.failedQueue('pv-counter', 'page-views')).toBe(
      'pv-counter.page-views.failed',
    );
  });
});

describe('failure headers', () => {
  const source = { stream: 'orders', partition: 2, offset: '41' };

  it('records the attempt, the error and the original position', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const headers = failureHeaders(
      { [HEADERS.eventId]: 'e1' },
      new FlakyError('db down'),
      1,
      source,
      now,
      now + 200,
    );
    expect(headers).toMatchObject({
      [HEADERS.eventId]: 'e1',
      [HEADERS.attempt]: '1',
      [HEADERS.dueAt]: String(now + 200),
      [HEADERS.originalStream]: 'orders',
      [HEADERS.originalPartition]: '2',
      [HEADERS.originalOffset]: '41',
      [HEADERS.errorClass]: 'FlakyError',
      [HEADERS.errorMessage]: 'db down',
      [HEADERS.firstFailedAt]: '2026-01-01T00:00:00.000Z',
      [HEADERS.lastFailedAt]: '2026-01-01T00:00:00.000Z',
    });
    expect(headers[HEADERS.errorStack]).toContain('FlakyError');
  });

  it('keeps the first failure and the original position on later attempts', () => {
    const first = failureHeaders({}, new Error('a'), 1, source, 1_000, 2_000);
    const retryPosition = { stream: 'orders.g.retry.1s', partition: 0, offset: '7' };
    const second = failureHeaders(first, new Error('b'), 2, retryPosition, 5_000);
    expect(second[HEADERS.originalStream]).toBe('orders');
    expect(second[HEADERS.originalOffset]).toBe('41');
    expect(second[HEADERS.firstFailedAt]).toBe(new Date(1_000).toISOString());
    expect(second[HEADERS.lastFailedAt]).toBe(new Date(5_000).toISOString());
    expect(second[HEADERS.dueAt]).toBeUndefined();
  });

  it('cuts the stack to 4 KiB without splitting a character', () => {
    const error = new Error('x');
    error.stack = 'é'.repeat(5_000);
    const stack = failureHeaders({}, error, 1, source, 0)[HEADERS.errorStack];
    expect(Buffer.byteLength(stack)).toBeLessThanOrEqual(4096);
    expect(stack).toBe('é'.repeat(2048));
    expect(truncateBytes('abc', 2)).toBe('ab');
  });

  it('drops the failure history on replay but keeps the identity', () => {
    const failed = failureHeaders(
      { [HEADERS.eventId]: 'e1', [HEADERS.eventType]: 'orders', 'x-key': 's1' },
      new Error('x'),
      3,
      source,
      0,
    );
    expect(replayHeaders(failed)).toEqual({
      [HEADERS.eventId]: 'e1',
      [HEADERS.eventType]: 'orders',
      [HEADERS.key]: 's1',
    });
  });
});
