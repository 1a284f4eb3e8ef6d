import {
  deliveryResultInput,
  logInput,
  orderInput,
  pageViewInput,
  tickInput,
} from '@lib/contracts';
import { MAX_EVENTS_PER_REQUEST, parseIntakeBody } from './intake-body';

const problemsOf = (result: ReturnType<typeof parseIntakeBody>) =>
  result.ok ? [] : result.problems;

describe('parseIntakeBody', () => {
  it('accepts one object and an array of objects', () => {
    expect(parseIntakeBody(pageViewInput, { pageId: 'home' })).toEqual({
      ok: true,
      events: [{ pageId: 'home' }],
    });
    const many = parseIntakeBody(pageViewInput, [
      { pageId: 'a' },
      { pageId: 'b', visitorId: 'v1' },
    ]);
    expect(many.ok && many.events).toHaveLength(2);
  });

  it('rejects empty and oversized arrays', () => {
    expect(problemsOf(parseIntakeBody(pageViewInput, []))).toEqual([
      { field: '(body)', problem: 'must contain at least 1 event' },
    ]);
    const huge = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => ({ pageId: 'p' }));
    expect(problemsOf(parseIntakeBody(pageViewInput, huge))[0].problem).toMatch(/at most 1000/);
  });

  it('rejects bodies that are not objects', () => {
    for (const body of ['text', 42, null, true]) {
      expect(problemsOf(parseIntakeBody(pageViewInput, body))[0].field).toBe('(body)');
    }
    expect(problemsOf(parseIntakeBody(pageViewInput, [{ pageId: 'a' }, 'x']))).toEqual([
      { field: '[1]', problem: 'must be an object' },
    ]);
  });

  it('names each bad field with its index, unknown fields included', () => {
    const problems = problemsOf(
      parseIntakeBody(pageViewInput, [{ pageId: 'ok' }, { pageId: '', colour: 'red' }]),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: '[1].pageId', problem: 'must not be empty' },
        { field: '[1].colour', problem: 'is not a known field' },
      ]),
    );
  });

  it('enforces the page-view rules', () => {
    const fields = (body: unknown) =>
      problemsOf(parseIntakeBody(pageViewInput, body)).map((p) => p.field);
    expect(fields({})).toEqual(['pageId']);
    expect(fields({ pageId: 'x'.repeat(201) })).toEqual(['pageId']);
    expect(fields({ pageId: 'a\u0007b' })).toEqual(['pageId']);
    expect(fields({ pageId: 'p', visitorId: 'v'.repeat(201) })).toEqual(['visitorId']);
    expect(fields({ pageId: 'p', occurredAt: '2026-01-01T00:00:00' })).toEqual(['occurredAt']);
    expect(
      fields({ pageId: 'p', occurredAt: '2026-01-01T00:00:00+02:00', eventId: 'e'.repeat(101) }),
    ).toEqual(['eventId']);
    expect(fields({ pageId: 7 })).toEqual(['pageId']);
  });

  it('enforces the order rules', () => {
    const base = { orderId: 'o1', storeId: 's1', productId: 'p1', quantity: 1, amount: 0 };
    const problems = (patch: object) =>
      problemsOf(parseIntakeBody(orderInput, { ...base, ...patch }));
    expect(problems({})).toEqual([]);
    expect(problems({ quantity: 0 })[0]).toEqual({
      field: 'quantity',
      problem: 'must be an integer >= 1',
    });
    expect(problems({ quantity: 1.5 })[0]).toEqual({
      field: 'quantity',
      problem: 'must be an integer',
    });
    expect(problems({ amount: -0.01 })[0]).toEqual({ field: 'amount', problem: 'must be >= 0' });
    expect(problems({ amount: '3' })[0]).toEqual({ field: 'amount', problem: 'must be a number' });
    expect(problems({ storeId: 'x'.repeat(101) })[0].field).toBe('storeId');
  });

  it('enforces the tick rules', () => {
    const problems = (body: object) =>
      problemsOf(parseIntakeBody(tickInput, body)).map((p) => p.field);
    expect(problems({ symbol: 'AAPL', price: 1.5, volume: 0 })).toEqual([]);
    expect(problems({ symbol: 'aapl', price: 1, volume: 0 })).toEqual(['symbol']);
    expect(problems({ symbol: 'A'.repeat(17), price: 1, volume: 0 })).toEqual(['symbol']);
    expect(problems({ symbol: 'BRK.B', price: 0, volume: 0 })).toEqual(['price']);
    expect(problems({ symbol: 'X', price: 1, volume: -1 })).toEqual(['volume']);
  });

  it('enforces the log and delivery-result rules', () => {
    const log = { service: 'svc', kind: 'request', level: 'info', message: 'GET /' };
    expect(problemsOf(parseIntakeBody(logInput, log))).toEqual([]);
    expect(problemsOf(parseIntakeBody(logInput, { ...log, kind: 'audit' }))[0].field).toBe('kind');
    const { kind: _kind, ...withoutKind } = log;
    expect(problemsOf(parseIntakeBody(logInput, withoutKind))).toEqual([
      { field: 'kind', problem: 'is required' },
    ]);
    expect(problemsOf(parseIntakeBody(logInput, { ...log, attributes: [1] }))[0].field).toBe(
      'attributes',
    );
    expect(problemsOf(parseIntakeBody(logInput, { ...log, durationMs: -1 }))[0].field).toBe(
      'durationMs',
    );
    const result = { messageId: 'm1', channel: 'sms', status: 'sent' };
    expect(problemsOf(parseIntakeBody(deliveryResultInput, result))).toEqual([]);
    expect(
      problemsOf(parseIntakeBody(deliveryResultInput, { ...result, status: 'lost' }))[0].field,
    ).toBe('status');
  });
});
