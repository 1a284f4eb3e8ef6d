import { HEADERS } from '@lib/contracts';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracingForTests, tracer, type TracingHandle } from './tracing-provider';
import { tracingEnabled } from './tracing-state';
import {
  isValidTraceparent,
  linksOf,
  requestTraceHeaders,
  spanContextOf,
  traceContextOf,
} from './trace-headers';

const CLIENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('trace headers with tracing off', () => {
  it('is off by default', () => expect(tracingEnabled()).toBe(false));

  it('always stamps x-request-id, and nothing else without a client traceparent', () => {
    expect(requestTraceHeaders('req-1', {})).toEqual({ [HEADERS.requestId]: 'req-1' });
  });

  it("passes the client's valid traceparent and tracestate through unchanged", () => {
    expect(
      requestTraceHeaders('req-1', { traceparent: CLIENT, tracestate: 'congo=t61rcWkgMzE' }),
    ).toEqual({ 'x-request-id': 'req-1', traceparent: CLIENT, tracestate: 'congo=t61rcWkgMzE' });
  });

  it.each([
    ['upper case', CLIENT.toUpperCase()],
    ['version ff', `ff${CLIENT.slice(2)}`],
    ['zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
    ['zero span id', `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`],
    ['short', '00-0af7-b7ad-01'],
  ])('drops an invalid traceparent (%s) and its tracestate', (_, value) => {
    expect(isValidTraceparent(value)).toBe(false);
    expect(requestTraceHeaders('r', { traceparent: value, tracestate: 'a=b' })).toEqual({
      'x-request-id': 'r',
    });
  });
});

describe('trace headers with tracing on', () => {
  let handle: TracingHandle;
  const exporter = new InMemorySpanExporter();
  beforeAll(async () => (handle = await startTracingForTests(exporter)));
  afterAll(async () => {
    await handle.release();
    expect(tracingEnabled()).toBe(false);
  });

  it("stamps the given span's context, not the client's header", () => {
    const client = traceContextOf({ traceparent: CLIENT });
    const span = tracer().startSpan('POST /v1/page-views', {}, client);
    const ctx = trace.setSpan(client, span);
    const headers = requestTraceHeaders('req-2', { traceparent: CLIENT }, ctx);
    span.end();
    const { traceId, spanId } = span.spanContext();
    expect(traceId).toBe(CLIENT.split('-')[1]); // the client's trace continues
    expect(headers).toEqual({ 'x-request-id': 'req-2', traceparent: `00-${traceId}-${spanId}-01` });
  });

  it('reads the span context back from headers', () => {
    expect(spanContextOf({ traceparent: CLIENT })).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      isRemote: true,
    });
    expect(spanContextOf({})).toBeUndefined();
  });

  it('links distinct contexts once each, capped, counting them all', () => {
    const headers = Array.from({ length: 5 }, (_, i) => ({
      traceparent: `00-0af7651916cd43dd8448eb211c80319c-00000000000000${10 + i}-01`,
    }));
    const { links, count } = linksOf([...headers, headers[0], undefined, {}], 3);
    expect(count).toBe(5);
    expect(links.map((l) => l.context.spanId)).toEqual([
      '0000000000000010',
      '0000000000000011',
      '0000000000000012',
    ]);
  });
});
