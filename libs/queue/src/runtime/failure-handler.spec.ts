import { HEADERS, type MessageHeaders } from '@lib/contracts';
import { EventValidationError, MalformedPayloadError, resolveRetryPolicy } from '@lib/retry';
import type { RawMessage } from './envelope';
import { FailureHandler, type FailureSink } from './failure-handler';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);
const policy = resolveRetryPolicy({ delaysMs: [200, 400] });
const message = (headers: MessageHeaders = {}): RawMessage => ({
  value: Buffer.from('{"eventId":"e1"}'),
  key: 'k',
  headers: { [HEADERS.eventId]: 'e1', [HEADERS.eventType]: 'orders', ...headers },
  position: { topic: 'orders', partition: 1, offset: '17' },
});

class RecordingSink implements FailureSink {
  readonly retries: Array<{ delayMs: number; headers: MessageHeaders }> = [];
  readonly deadLetters: MessageHeaders[] = [];
  failuresLeft = 0;

  async retry(_m: RawMessage, delayMs: number, headers: MessageHeaders) {
    if (this.failuresLeft-- > 0) throw new Error('broker down');
    this.retries.push({ delayMs, headers });
  }

  async deadLetter(_m: RawMessage, headers: MessageHeaders) {
    if (this.failuresLeft-- > 0) throw new Error('broker down');
    this.deadLetters.push(headers);
  }
}

describe('FailureHandler', () => {
  const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() };
  const make = (sink: FailureSink) =>
    new FailureHandler('orders', policy, sink, { logger, now: () => NOW, sinkBackoffMs: 1 });

  beforeEach(() => jest.clearAllMocks());

  it('retries a first failure after the first delay with the contract headers', async () => {
    const sink = new RecordingSink();
    class DbDown extends Error {
      override name = 'DbDown';
    }
    await expect(make(sink).handle(message(), new DbDown('no db'))).resolves.toBe('retried');
    expect(sink.retries).toHaveLength(1);
    const { delayMs, headers } = sink.retries[0];
    expect(delayMs).toBe(200);
    expect(headers).toMatchObject({
      [HEADERS.eventId]: 'e1',
      [HEADERS.attempt]: '1',
      [HEADERS.dueAt]: String(NOW + 200),
      [HEADERS.originalStream]: 'orders',
      [HEADERS.originalPartition]: '1',
      [HEADERS.originalOffset]: '17',
      [HEADERS.errorClass]: 'DbDown',
      [HEADERS.errorMessage]: 'no db',
      [HEADERS.firstFailedAt]: new Date(NOW).toISOString(),
      [HEADERS.lastFailedAt]: new Date(NOW).toISOString(),
    });
    expect(headers[HEADERS.errorStack]).toContain('DbDown');
  });

  it('uses the next delay for the next failure and keeps the first failure time and source', async () => {
    const sink = new RecordingSink();
    const previous = message({
      [HEADERS.attempt]: '1',
      [HEADERS.originalStream]: 'orders',
      [HEADERS.originalPartition]: '0',
      [HEADERS.originalOffset]: '3',
      [HEADERS.firstFailedAt]: '2026-01-01T00:00:00.000Z',
    });
    await make(sink).handle(previous, new Error('again'));
    expect(sink.retries[0].delayMs).toBe(400);
    expect(sink.retries[0].headers).toMatchObject({
      [HEADERS.attempt]: '2',
      [HEADERS.originalPartition]: '0',
      [HEADERS.originalOffset]: '3',
      [HEADERS.firstFailedAt]: '2026-01-01T00:00:00.000Z',
    });
  });

  it('dead-letters after the last attempt, without x-due-at', async () => {
    const sink = new RecordingSink();
    const outcome = await make(sink).handle(
      message({ [HEADERS.attempt]: '2', [HEADERS.dueAt]: '1' }),
      new Error('third'),
    );
    expect(outcome).toBe('dead-lettered');
    expect(sink.deadLetters[0][HEADERS.attempt]).toBe('3');
    expect(sink.deadLetters[0][HEADERS.dueAt]).toBeUndefined();
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('dead-lettered (exhausted)'));
  });

  it.each([
    ['a malformed payload', new MalformedPayloadError('not JSON')],
    ['an invalid event', new EventValidationError('price must be > 0')],
  ])('dead-letters %s at once', async (_name, error) => {
    const sink = new RecordingSink();
    await expect(make(sink).handle(message(), error)).resolves.toBe('dead-lettered');
    expect(sink.retries).toEqual([]);
    expect(sink.deadLetters[0][HEADERS.attempt]).toBe('1');
    expect(sink.deadLetters[0][HEADERS.errorClass]).toBe(error.name);
  });

  it('keeps publishing to a failing sink until it succeeds', async () => {
    const sink = new RecordingSink();
    sink.failuresLeft = 3;
    await expect(make(sink).handle(message(), new Error('x'))).resolves.toBe('retried');
    expect(sink.retries).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('could not publish the failed message'),
    );
  });

  it('gives up on a failing sink once stopped', async () => {
    const sink = new RecordingSink();
    sink.failuresLeft = 1_000;
    const handler = make(sink);
    const outcome = handler.handle(message(), new Error('x'));
    await new Promise((r) => setTimeout(r, 20));
    handler.stop();
    await expect(outcome).rejects.toThrow('broker down');
  });
});
