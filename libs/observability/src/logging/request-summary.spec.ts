import { logInput } from '@lib/contracts';
import { LogRecorder } from './log-recorder';
import { MemoryLogSink } from './memory-log-sink';
import { RequestLogSummary } from './request-summary';

describe('RequestLogSummary', () => {
  let sink: MemoryLogSink;
  let summary: RequestLogSummary;

  beforeEach(() => {
    sink = new MemoryLogSink();
    summary = new RequestLogSummary(new LogRecorder('intake', sink), 60_000);
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    summary.stop();
    jest.restoreAllMocks();
  });

  it('records one request record per method, route and status with count, mean and max', () => {
    summary.add('POST', '/v1/page-views', 202, 2);
    summary.add('POST', '/v1/page-views', 202, 4);
    summary.add('POST', '/v1/page-views', 202, 9);
    summary.add('POST', '/v1/orders', 202, 1);
    summary.add('GET', '/v1/page-views/:pageId', 200, 3);
    expect(sink.records()).toEqual([]);

    summary.flush();
    const records = sink.records('request');
    expect(records).toHaveLength(3);
    const views = records.find((r) => r.attributes?.route === '/v1/page-views')!;
    expect(views).toEqual(
      expect.objectContaining({
        service: 'intake',
        level: 'info',
        message: 'POST /v1/page-views 202 x3',
        durationMs: 5,
        attributes: expect.objectContaining({
          method: 'POST',
          status: 202,
          summary: true,
          count: 3,
          meanMs: 5,
          maxMs: 9,
          windowMs: expect.any(Number),
        }),
      }),
    );
    expect(views.requestId).toBeUndefined();
    // What POST /v1/logs and the app-logs consumer accept.
    for (const record of records) expect(logInput.safeParse(record).error).toBeUndefined();
  });

  it('starts a new window after each flush and records nothing for an empty one', () => {
    summary.add('POST', '/v1/ticks', 202, 1);
    summary.flush();
    summary.flush();
    expect(sink.records()).toHaveLength(1);
    summary.add('POST', '/v1/ticks', 202, 1);
    summary.stop();
    expect(sink.records().map((r) => r.attributes?.count)).toEqual([1, 1]);
  });

  it('is disabled with a window of 0', () => {
    expect(new RequestLogSummary(new LogRecorder('intake', sink), 0).enabled).toBe(false);
    expect(summary.enabled).toBe(true);
  });
});
