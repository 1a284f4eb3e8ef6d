import type { LoggerService } from '@nestjs/common';
import { startTracingForTests, tracer, type TracingHandle } from '@lib/observability';
import { EventPublisher, type OutgoingMessage } from '@lib/queue';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpoolingPublisher } from './spooling-publisher';

/** A test double of our EventPublisher: records what it is given while `connected`. */
class RecordingBroker extends EventPublisher {
  readonly received: OutgoingMessage[] = [];
  connected = false;
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!this.connected) throw new Error('broker unreachable');
    this.received.push(...messages);
  }
  isConnected(): boolean {
    return this.connected;
  }
  async close(): Promise<void> {}
}

const quiet: LoggerService = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('spool tracing: spooled events keep their trace across a restart', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: TracingHandle;
  let dir: string;
  beforeAll(async () => (tracing = await startTracingForTests(exporter)));
  afterAll(() => tracing.release());
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'spool-tracing-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('spool append, then replay after a restart in a publish span of the same trace', async () => {
    const open = (broker: RecordingBroker) =>
      SpoolingPublisher.open(
        broker,
        { directory: dir },
        { name: 'trace-test', logger: quiet, drain: { minBackoffMs: 5, maxBackoffMs: 20 } },
      );
    const down = new RecordingBroker();
    const first = await open(down);
    const request = tracer().startSpan('POST /v1/page-views');
    const { traceId, spanId } = request.spanContext();
    const traceparent = `00-${traceId}-${spanId}-01`;
    const headers = {
      'x-event-id': 'e-1',
      'x-event-type': 'page-views',
      'x-request-id': 'req-9',
      traceparent,
      tracestate: 'v=1',
    };
    await context.with(trace.setSpan(context.active(), request), () =>
      first.publish([{ stream: 'page-views', key: 'p', value: { eventId: 'e-1' }, headers }]),
    );
    request.end();
    await first.close();

    const append = exporter.getFinishedSpans().find((s) => s.name === 'page-views spool append')!;
    expect(append.spanContext().traceId).toBe(traceId);
    expect(append.parentSpanContext?.spanId).toBe(spanId);

    const up = new RecordingBroker();
    up.connected = true;
    const second = await open(up);
    const deadline = Date.now() + 10_000;
    while (up.received.length === 0 && Date.now() < deadline) await sleep(10);
    await second.close();

    // The spool's record format keeps every header.
    expect(up.received.map((m) => m.headers)).toEqual([headers]);
    const replay = exporter
      .getFinishedSpans()
      .find((s) => s.name === 'page-views publish' && s.attributes['event_pipeline.spool.replay']);
    expect(replay?.spanContext().traceId).toBe(traceId);
    expect(replay?.parentSpanContext?.spanId).toBe(spanId);
  });
});
