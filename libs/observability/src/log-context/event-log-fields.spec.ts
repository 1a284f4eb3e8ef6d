import { batchLogFields, recordLogFields } from './event-log-fields';

const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';
const headers = (requestId?: string, traceId?: string): Record<string, string> => ({
  ...(requestId ? { 'x-request-id': requestId } : {}),
  ...(traceId ? { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } : {}),
});

describe('recordLogFields', () => {
  it("takes the event id, and the request and trace ids of the event's headers", () => {
    expect(recordLogFields('e1', headers('req-1', TRACE_A))).toEqual({
      eventId: 'e1',
      requestId: 'req-1',
      traceId: TRACE_A,
    });
  });

  it('leaves out what the headers lack', () => {
    expect(recordLogFields('e1', {})).toEqual({ eventId: 'e1' });
    expect(recordLogFields('e1', undefined)).toEqual({ eventId: 'e1' });
    expect(recordLogFields('e1', { traceparent: 'nonsense' })).toEqual({ eventId: 'e1' });
  });
});

describe('batchLogFields', () => {
  it('gives the first event id and the count, and the ids every event shares', () => {
    const all = [headers('req-1', TRACE_A), headers('req-1', TRACE_A), headers('req-1', TRACE_A)];
    expect(batchLogFields('e1', 3, all)).toEqual({
      firstEventId: 'e1',
      eventCount: 3,
      requestId: 'req-1',
      traceId: TRACE_A,
    });
  });

  it('leaves out a request or trace id that differs between events or is missing in one', () => {
    expect(batchLogFields('e1', 2, [headers('req-1', TRACE_A), headers('req-2', TRACE_A)])).toEqual(
      { firstEventId: 'e1', eventCount: 2, traceId: TRACE_A },
    );
    expect(batchLogFields('e1', 2, [headers('req-1', TRACE_A), headers('req-1', TRACE_B)])).toEqual(
      { firstEventId: 'e1', eventCount: 2, requestId: 'req-1' },
    );
    expect(batchLogFields('e1', 2, [headers('req-1', TRACE_A), undefined])).toEqual({
      firstEventId: 'e1',
      eventCount: 2,
    });
  });

  it('describes an empty batch by its count alone', () => {
    expect(batchLogFields(undefined, 0, [])).toEqual({ eventCount: 0 });
  });
});
