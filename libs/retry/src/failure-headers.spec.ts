import { HEADERS } from '@lib/contracts';
import { failureHeaders, replayHeaders } from './failure-headers';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const ORIGIN = {
  [HEADERS.eventId]: 'e-1',
  [HEADERS.eventType]: 'page-views',
  [HEADERS.requestId]: 'req-1',
  [HEADERS.traceparent]: TRACEPARENT,
  [HEADERS.tracestate]: 'vendor=a',
};

describe('failure and replay headers keep the request identity and trace context', () => {
  const source = { stream: 'page-views', partition: 0, offset: '7' };

  it('a retry and a dead letter carry traceparent, tracestate and x-request-id unchanged', () => {
    const retry = failureHeaders(ORIGIN, new Error('boom'), 1, source, 1_000, 2_000);
    const dead = failureHeaders(retry, new Error('boom'), 2, source, 3_000);
    for (const headers of [retry, dead]) expect(headers).toMatchObject(ORIGIN);
  });

  it('a replayed dead letter drops the failure history but keeps the request identity and trace', () => {
    const dead = failureHeaders(ORIGIN, new Error('boom'), 3, source, 3_000);
    expect(replayHeaders(dead)).toEqual(ORIGIN);
  });
});
