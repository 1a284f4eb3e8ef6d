import { badInputProblems as problems } from '@test/support';
import { decodeMessageCursor, encodeMessageCursor } from './delivery-results.cursor';
import { parseByRequestParams, parseMessageId } from './delivery-results.params';

describe('delivery-results read parameters', () => {
  it('takes a request id with the default limit, a limit up to 500 and a cursor', () => {
    expect(parseByRequestParams({ requestId: 'r-1' })).toEqual({
      requestId: 'r-1',
      limit: 100,
      after: undefined,
    });
    const cursor = encodeMessageCursor('msg/é 7');
    expect(parseByRequestParams({ requestId: 'r', limit: '500', cursor })).toEqual({
      requestId: 'r',
      limit: 500,
      after: 'msg/é 7',
    });
  });

  it('requires requestId and names every bad field', () => {
    expect(problems(() => parseByRequestParams({}))).toEqual([
      { field: 'requestId', problem: 'is required' },
    ]);
    expect(problems(() => parseByRequestParams({ requestId: '', limit: '0', other: 'x' }))).toEqual(
      expect.arrayContaining([
        { field: 'requestId', problem: 'must not be empty' },
        { field: 'limit', problem: 'must be an integer between 1 and 500' },
        { field: 'other', problem: 'is not a known field' },
      ]),
    );
    expect(problems(() => parseByRequestParams({ requestId: 'x'.repeat(101) }))).toEqual([
      { field: 'requestId', problem: 'must be at most 100 characters' },
    ]);
  });

  it.each([['501'], ['-1'], ['1.5'], ['ten'], ['99999999999']])('refuses limit=%s', (limit) => {
    expect(problems(() => parseByRequestParams({ requestId: 'r', limit }))).toEqual([
      { field: 'limit', problem: 'must be an integer between 1 and 500' },
    ]);
  });

  it('refuses cursors it did not make', () => {
    for (const cursor of [
      '',
      'not base64!',
      'YQ==',
      encodeMessageCursor('a\u0007b'),
      'x'.repeat(600),
    ]) {
      expect(problems(() => parseByRequestParams({ requestId: 'r', cursor }))).toEqual([
        expect.objectContaining({ field: 'cursor' }),
      ]);
    }
    expect(decodeMessageCursor(encodeMessageCursor('é'.repeat(100)))).toBe('é'.repeat(100));
  });

  it('checks the message id of the single route', () => {
    expect(parseMessageId({ messageId: 'm-1' })).toBe('m-1');
    expect(problems(() => parseMessageId({ messageId: 'x'.repeat(101) }))).toEqual([
      { field: 'messageId', problem: 'must be at most 100 characters' },
    ]);
    expect(problems(() => parseMessageId({ messageId: 'a\u0001' }))).toEqual([
      { field: 'messageId', problem: 'must not contain control characters' },
    ]);
    expect(problems(() => parseMessageId({ messageId: '' }))).toEqual([
      { field: 'messageId', problem: 'must not be empty' },
    ]);
  });
});
