import { HEADERS } from '@lib/contracts';
import { MalformedPayloadError } from '@lib/retry';
import {
  attemptOf,
  decodeHeaders,
  dueAtOf,
  encodeMessage,
  metadataOfMessage,
  sourceOf,
  toIncomingEvent,
  type RawMessage,
} from './envelope';

const position = { topic: 'orders', partition: 2, offset: '41' };
const raw = (value: string | null, headers: Record<string, string> = {}): RawMessage => ({
  value: value === null ? null : Buffer.from(value),
  key: 'store-1',
  headers,
  position,
});

describe('envelope', () => {
  it('parses a first delivery into plain data: stream, eventId, payload and the raw position', () => {
    const message = raw('{"eventId":"e1","storeId":"store-1"}', { [HEADERS.eventId]: 'e1' });
    const event = toIncomingEvent('orders', message);
    expect(event).toEqual({
      stream: 'orders',
      eventId: 'e1',
      payload: { eventId: 'e1', storeId: 'store-1' },
      position,
    });
    expect(event.position).toBe(position);
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect({ ...event }).toEqual(event);
    expect(structuredClone(event)).toEqual(event);
    expect(metadataOfMessage(message, event.position)).toEqual({
      key: 'store-1',
      headers: { [HEADERS.eventId]: 'e1' },
      attempt: 0,
      source: position,
      position,
      timestamp: undefined,
    });
  });

  it('reads attempt, source and record time of a retried delivery from its message', () => {
    const headers = {
      [HEADERS.attempt]: '2',
      [HEADERS.originalStream]: 'orders',
      [HEADERS.originalPartition]: '0',
      [HEADERS.originalOffset]: '7',
      [HEADERS.dueAt]: '1700000000000',
    };
    const message = { ...raw('{"eventId":"e1"}', headers), timestamp: 1_700_000_000_123 };
    const meta = metadataOfMessage(message, toIncomingEvent('orders', message).position);
    expect(meta.attempt).toBe(2);
    expect(meta.source).toEqual({ topic: 'orders', partition: 0, offset: '7' });
    expect(meta.position).toBe(position);
    expect(meta.timestamp).toBe(1_700_000_000_123);
    expect(dueAtOf(headers)).toBe(1_700_000_000_000);
  });

  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['an array', '[1,2]', /not a JSON object/],
    ['a JSON string', '"text"', /not a JSON object/],
    ['no eventId', '{"a":1}', /no string eventId/],
    ['an empty eventId', '{"eventId":""}', /no string eventId/],
    ['a numeric eventId', '{"eventId":5}', /no string eventId/],
    ['an empty value', '', /empty/],
  ])('rejects %s as MalformedPayloadError', (_name, value, message) => {
    expect(() => toIncomingEvent('orders', raw(value))).toThrow(MalformedPayloadError);
    expect(() => toIncomingEvent('orders', raw(value))).toThrow(message);
  });

  it('rejects a tombstone (null value)', () => {
    expect(() => toIncomingEvent('orders', raw(null))).toThrow(MalformedPayloadError);
  });

  it('decodes broker header values to strings', () => {
    expect(
      decodeHeaders({
        a: Buffer.from('x'),
        b: 'y',
        c: [Buffer.from('z'), 'w'],
        d: undefined,
        e: 3,
      }),
    ).toEqual({
      a: 'x',
      b: 'y',
      c: 'z',
      e: '3',
    });
    expect(decodeHeaders(undefined)).toEqual({});
  });

  it('treats invalid attempt and due-at headers as absent', () => {
    expect(attemptOf({ [HEADERS.attempt]: 'x' })).toBe(0);
    expect(attemptOf({ [HEADERS.attempt]: '-1' })).toBe(0);
    expect(dueAtOf({})).toBe(0);
    expect(sourceOf({ [HEADERS.originalStream]: 'orders' }, position)).toBe(position);
  });

  it('serialises a message with event id and type headers, keeping given headers', () => {
    const encoded = encodeMessage({
      stream: 'ticks',
      key: 'AAPL',
      value: { eventId: 'e9', price: 1 },
      headers: { 'x-custom': '1' },
    });
    expect(JSON.parse(encoded.value.toString())).toEqual({ eventId: 'e9', price: 1 });
    expect(encoded.headers).toEqual({
      'x-custom': '1',
      [HEADERS.eventId]: 'e9',
      [HEADERS.eventType]: 'ticks',
    });
    const explicit = encodeMessage({
      stream: 'ticks',
      key: 'k',
      value: { eventId: 'e9' },
      headers: { [HEADERS.eventId]: 'given', [HEADERS.eventType]: 't' },
    });
    expect(explicit.headers).toEqual({ [HEADERS.eventId]: 'given', [HEADERS.eventType]: 't' });
  });
});
