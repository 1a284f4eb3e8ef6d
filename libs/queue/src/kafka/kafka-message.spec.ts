import type { IHeaders, KafkaMessage } from 'kafkajs';
import { HEADERS } from '@lib/contracts';
import { metadataOfMessage, toIncomingEvent } from '../runtime/envelope';
import { rawMessageOf } from './kafka-message';

/** A record as kafkajs decodes it from a v2 record batch. */
const message = (headers: IHeaders, key: Buffer | null = Buffer.from('page-1')): KafkaMessage => ({
  key,
  value: Buffer.from('{"eventId":"e1","pageId":"page-1"}'),
  timestamp: '1700000000000',
  attributes: 0,
  offset: '42',
  headers,
});

describe('rawMessageOf', () => {
  it('reads key, headers and position of a kafkajs record as strings', () => {
    const raw = rawMessageOf(
      'page-views',
      2,
      message({
        [HEADERS.eventId]: Buffer.from('e1'),
        [HEADERS.attempt]: [Buffer.from('3'), Buffer.from('4')],
      }),
    );
    expect(raw.key).toBe('page-1');
    expect(raw.headers).toEqual({ [HEADERS.eventId]: 'e1', [HEADERS.attempt]: '3' });
    expect(raw.headers).toBe(raw.headers); // decoded once
    expect(raw.position).toEqual({ topic: 'page-views', partition: 2, offset: '42' });
    expect(raw.value?.toString()).toBe('{"eventId":"e1","pageId":"page-1"}');
  });

  it('keeps a missing key null', () => {
    expect(rawMessageOf('page-views', 0, message({}, null)).key).toBeNull();
  });

  it('becomes a plain event, its metadata decoded from the record when asked', () => {
    const raw = rawMessageOf('page-views', 1, message({ [HEADERS.attempt]: Buffer.from('2') }));
    const event = toIncomingEvent('page-views', raw);
    expect(event).toEqual({
      stream: 'page-views',
      eventId: 'e1',
      payload: { eventId: 'e1', pageId: 'page-1' },
      position: { topic: 'page-views', partition: 1, offset: '42' },
    });
    expect(metadataOfMessage(raw, event.position)).toEqual({
      key: 'page-1',
      headers: { [HEADERS.attempt]: '2' },
      attempt: 2,
      source: { topic: 'page-views', partition: 1, offset: '42' },
      position: { topic: 'page-views', partition: 1, offset: '42' },
      timestamp: 1_700_000_000_000,
    });
  });
});
