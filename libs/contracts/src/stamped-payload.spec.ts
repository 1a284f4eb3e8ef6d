import { deliveryResultInput, logInput, orderInput, pageViewInput, tickInput } from './events';
import { stampedPayload, withReceivedAt } from './stamped-payload';

const pageView = stampedPayload(pageViewInput);
const RECEIVED = '2026-03-01T10:00:00.000Z';

describe('stampedPayload', () => {
  it('reads what ingest publishes unchanged', () => {
    const payload = {
      pageId: 'home',
      visitorId: 'v1',
      eventId: 'e1',
      occurredAt: '2026-03-01T09:59:00+01:00',
      receivedAt: RECEIVED,
    };
    expect(pageView.parse(payload)).toEqual(payload);
  });

  it('reads a missing occurredAt as receivedAt', () => {
    expect(pageView.parse({ pageId: 'home', eventId: 'e1', receivedAt: RECEIVED })).toEqual({
      pageId: 'home',
      eventId: 'e1',
      occurredAt: RECEIVED,
      receivedAt: RECEIVED,
    });
  });

  it.each([
    ['no eventId', { pageId: 'home', receivedAt: RECEIVED }, 'eventId'],
    ['an empty eventId', { pageId: 'home', eventId: '', receivedAt: RECEIVED }, 'eventId'],
    [
      'an eventId over 100 characters',
      { pageId: 'home', eventId: 'e'.repeat(101), receivedAt: RECEIVED },
      'eventId',
    ],
    ['no receivedAt', { pageId: 'home', eventId: 'e1' }, 'receivedAt'],
    [
      'a receivedAt without offset',
      { pageId: 'home', eventId: 'e1', receivedAt: '2026-03-01T10:00:00' },
      'receivedAt',
    ],
    [
      'an epoch-ms receivedAt',
      { pageId: 'home', eventId: 'e1', receivedAt: 1772359200000 },
      'receivedAt',
    ],
    [
      'an occurredAt without offset',
      { pageId: 'home', eventId: 'e1', receivedAt: RECEIVED, occurredAt: '2026-03-01' },
      'occurredAt',
    ],
    [
      'an unknown field',
      { pageId: 'home', eventId: 'e1', receivedAt: RECEIVED, extra: 1 },
      'extra',
    ],
  ])('rejects a payload with %s', (_name, payload, field) => {
    const result = pageView.safeParse(payload);
    expect(result.success).toBe(false);
    expect(
      result.error!.issues.map((issue) => [...issue.path, ...('keys' in issue ? issue.keys : [])]),
    ).toContainEqual(expect.arrayContaining([field]));
  });

  it('is the same rule for every stream', () => {
    const stamp = { eventId: 'e1', receivedAt: RECEIVED };
    const bodies = [
      [orderInput, { orderId: 'o', storeId: 's', productId: 'p', quantity: 1, amount: 2 }],
      [tickInput, { symbol: 'AB', price: 1, volume: 0 }],
      [logInput, { service: 'svc', kind: 'request', level: 'info', message: 'm' }],
      [deliveryResultInput, { messageId: 'm', channel: 'sms', status: 'sent' }],
    ] as const;
    for (const [input, body] of bodies) {
      const schema = stampedPayload(input);
      expect(schema.parse({ ...body, ...stamp })).toEqual({
        ...body,
        ...stamp,
        occurredAt: RECEIVED,
      });
      expect(schema.safeParse(body).success).toBe(false);
    }
  });
});

describe('withReceivedAt', () => {
  it("gives a payload without receivedAt the record's time, as ISO-8601 in UTC", () => {
    const payload = { pageId: 'home', eventId: 'e1' };
    const stamped = withReceivedAt(payload, Date.parse(RECEIVED));
    expect(stamped).toEqual({ ...payload, receivedAt: RECEIVED });
    expect(payload).toEqual({ pageId: 'home', eventId: 'e1' }); // the input is not changed
    expect(pageView.parse(stamped)).toMatchObject({ occurredAt: RECEIVED, receivedAt: RECEIVED });
  });

  it("keeps the producer's receivedAt, even an invalid one for the schema to reject", () => {
    const payload = { pageId: 'home', eventId: 'e1', receivedAt: 'yesterday' };
    expect(withReceivedAt(payload, 0)).toBe(payload);
    expect(pageView.safeParse(withReceivedAt(payload, 0)).success).toBe(false);
  });

  it('uses now when the broker gave no time, and leaves non-objects alone', () => {
    const before = Date.now();
    const { receivedAt } = withReceivedAt({ eventId: 'e1' }, undefined) as { receivedAt: string };
    expect(Date.parse(receivedAt)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(receivedAt)).toBeLessThanOrEqual(Date.now());
    expect(withReceivedAt('text', 1)).toBe('text');
    expect(withReceivedAt(null, 1)).toBeNull();
    expect(withReceivedAt([1], 1)).toEqual([1]);
  });
});
