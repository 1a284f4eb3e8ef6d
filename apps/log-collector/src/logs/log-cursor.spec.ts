import { decodeCursor, encodeCursor } from './log-cursor';

describe('log cursor', () => {
  it('round-trips a position as an opaque URL-safe string', () => {
    const position = { occurredAt: '2026-03-04T05:06:07.123456Z', id: '9223372036854775807' };
    const text = encodeCursor(position);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(text)).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['not base64', '!!!'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['an object', Buffer.from('{"occurredAt":"x","id":"1"}').toString('base64url')],
    [
      'a millisecond timestamp',
      Buffer.from('["2026-03-04T05:06:07.123Z","1"]').toString('base64url'),
    ],
    [
      'an impossible date',
      Buffer.from('["2026-13-45T05:06:07.123456Z","1"]').toString('base64url'),
    ],
    ['a numeric id', Buffer.from('["2026-03-04T05:06:07.123456Z",1]').toString('base64url')],
    [
      'an id with SQL',
      Buffer.from('["2026-03-04T05:06:07.123456Z","1; DROP TABLE app_logs"]').toString('base64url'),
    ],
    [
      'an id beyond bigint',
      Buffer.from('["2026-03-04T05:06:07.123456Z","9223372036854775808"]').toString('base64url'),
    ],
    ['far too long', 'A'.repeat(500)],
  ])('rejects %s', (_name, text) => {
    expect(decodeCursor(text)).toBeUndefined();
  });
});
