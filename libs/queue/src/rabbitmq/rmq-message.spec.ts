import type { Message, MessageProperties } from 'amqplib';
import { headersOf, keyOf, routingKeyFor } from './rmq-message';

const properties = (headers: Record<string, unknown>) =>
  ({ headers }) as unknown as MessageProperties;
const message = (exchange: string, routingKey: string) =>
  ({ fields: { exchange, routingKey } }) as unknown as Message;

describe('RabbitMQ message mapping', () => {
  it('keeps string headers, converts scalars and buffers, and drops RabbitMQ’s dead-lettering bookkeeping', () => {
    expect(
      headersOf(
        properties({
          'x-event-id': 'e1',
          'x-attempt': 2,
          flag: true,
          raw: Buffer.from('bytes'),
          'x-death': [{ count: 1, queue: 'g.s.retry.1s' }],
          'x-first-death-queue': 'g.s.retry.1s',
          'x-first-death-reason': 'expired',
          'x-last-death-queue': 'g.s.retry.1s',
          nested: { a: 1 },
        }),
      ),
    ).toEqual({ 'x-event-id': 'e1', 'x-attempt': '2', flag: 'true', raw: 'bytes' });
    expect(headersOf({ headers: undefined } as unknown as MessageProperties)).toEqual({});
  });

  it('takes the key from x-key, else from the routing key of a message straight from the stream exchange', () => {
    expect(keyOf(message('', 'g.s'), { 'x-key': 'k1' }, 's')).toBe('k1');
    expect(keyOf(message('s', 'k2'), {}, 's')).toBe('k2');
    expect(keyOf(message('', 'g.s'), {}, 's')).toBeNull(); // a retry without the header: no key
    expect(keyOf(message('s', ''), {}, 's')).toBeNull();
  });

  it('uses the key as routing key only when it fits in 255 bytes', () => {
    expect(routingKeyFor('page-1')).toBe('page-1');
    expect(routingKeyFor('é'.repeat(127))).toBe('é'.repeat(127));
    expect(routingKeyFor('é'.repeat(128))).toBe('');
  });
});
