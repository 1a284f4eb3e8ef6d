/**
 * One trace from the HTTP request to the database row, on the in-process broker: ingest and
 * pv-counter run in this process with an in-memory span exporter. A POST with a client
 * `traceparent` yields the HTTP span, `page-views publish`, pv-counter's `page-views process` and
 * the `page-views-daily flush` in the client's trace; a dead letter keeps `traceparent` and
 * `x-request-id` in its headers, also after a replay.
 */
import { HEADERS } from '@lib/contracts';
import { startTracingForTests, type TracingHandle } from '@lib/observability';
import type { HttpApp } from '@lib/platform';
import { MemoryBroker } from '@lib/queue';
import { topologyNames } from '@lib/retry';
import { createThrowawayDatabase, freeTcpPort, uniqueName, waitFor } from '@test/support';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMemoryIngest } from '../../ingest/test/support/memory-ingest';
import { createPvCounterApp } from '../src/pv-counter.app';

const TRACE_ID = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
const CLIENT_PARENT = `00-${TRACE_ID}-1111222233334444-01`;

describe('tracing from the HTTP request to the flush (memory broker)', () => {
  const exporter = new InMemorySpanExporter();
  const broker = new MemoryBroker();
  const dirs: string[] = [];
  const apps: HttpApp[] = [];
  let tracing: TracingHandle;
  let ingestUrl: string;
  let counterUrl: string;

  beforeAll(async () => {
    tracing = await startTracingForTests(exporter);
    const dir = async () => {
      const made = await mkdtemp(join(tmpdir(), 'ep-tracing-'));
      dirs.push(made);
      return made;
    };
    const counter = await createPvCounterApp(
      {
        BROKER: 'memory',
        DATABASE_URL: await createThrowawayDatabase('pv_tracing'),
        DATA_DIR: await dir(),
        PORT: String(await freeTcpPort()),
        LOG_LEVEL: 'error',
        SHUTDOWN_GRACE_MS: '0',
        FLUSH_INTERVAL_MS: '50',
      },
      { memoryBroker: broker },
    );
    apps.push(counter);
    counterUrl = await counter.listen();
    const ingest = await startMemoryIngest(await dir(), broker);
    apps.push(ingest.created);
    ingestUrl = ingest.url;
  });

  afterAll(async () => {
    for (const app of apps.reverse()) await app.app.close();
    await tracing.release();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string, traceId: string) =>
    spans().filter((s) => s.name === name && s.spanContext().traceId === traceId);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it("one POST: HTTP span, publish, handler and flush in the client's trace", async () => {
    const pageId = uniqueName('traced');
    const response = await fetch(`${ingestUrl}/v1/page-views`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: CLIENT_PARENT,
        'x-request-id': 'trace-req-1',
      },
      body: JSON.stringify({ pageId, visitorId: 'v-1' }),
    });
    expect(response.status).toBe(202);

    await waitFor(() => named('page-views-daily flush', TRACE_ID).length === 1, {
      timeoutMs: 20_000,
    });
    const [http] = named('POST /v1/page-views', TRACE_ID);
    expect(parentOf(http)).toBe('1111222233334444');
    expect(http.attributes['http.response.status_code']).toBe(202);
    const [publish] = named('page-views publish', TRACE_ID);
    expect(parentOf(publish)).toBe(http.spanContext().spanId);
    expect(publish.attributes['messaging.destination.name']).toBe('page-views');

    const [process] = named('page-views process', TRACE_ID);
    // The event carries the HTTP span's context; the batch of one request continues it and links it.
    expect(parentOf(process)).toBe(http.spanContext().spanId);
    expect(process.links.map((l) => l.context.spanId)).toEqual([http.spanContext().spanId]);
    expect(process.attributes['messaging.batch.message_count']).toBe(1);
    expect(process.attributes['messaging.system']).toBe('memory');

    const [flush] = named('page-views-daily flush', TRACE_ID);
    expect(flush.links.map((l) => l.context.spanId)).toEqual([process.spanContext().spanId]);
    expect(flush.attributes['event_pipeline.linked_contexts']).toBe(1);
    expect(
      await fetch(`${counterUrl}/v1/page-views/${encodeURIComponent(pageId)}`).then(
        (r) => r.status,
      ),
    ).toBe(200);
  });

  it('a dead letter keeps traceparent and x-request-id, and so does its replay', async () => {
    const eventId = uniqueName('bad');
    const traceId = 'a'.repeat(31) + 'b';
    const traceparent = `00-${traceId}-2222333344445555-01`;
    // No pageId: pv-counter's validation fails it, not retriable, so straight to dead letters.
    broker.append(
      topologyNames.kafka.topic('page-views'),
      'k',
      Buffer.from(JSON.stringify({ eventId })),
      {
        [HEADERS.eventId]: eventId,
        [HEADERS.eventType]: 'page-views',
        [HEADERS.traceparent]: traceparent,
        [HEADERS.requestId]: 'trace-req-2',
      },
    );
    const letter = async () => {
      const listed = (await fetch(`${counterUrl}/admin/dead-letters?stream=page-views`).then((r) =>
        r.json(),
      )) as {
        items: Array<{
          id: string;
          payload: { eventId?: string };
          headers: Record<string, string>;
        }>;
      };
      return listed.items.find((item) => item.payload.eventId === eventId);
    };
    await waitFor(async () => (await letter()) !== undefined, { timeoutMs: 20_000 });
    const first = (await letter())!;
    expect(first.headers).toMatchObject({ traceparent, 'x-request-id': 'trace-req-2' });
    const failed = named('page-views process', traceId);
    expect(failed.length).toBeGreaterThan(0);

    const replay = await fetch(`${counterUrl}/admin/dead-letters/replay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: 'page-views', ids: [first.id] }),
    });
    expect(replay.status).toBe(200);
    // Replayed, consumed again (a second process span in the same trace), dead-lettered again.
    await waitFor(() => named('page-views process', traceId).length > failed.length, {
      timeoutMs: 20_000,
    });
    await waitFor(async () => (await letter()) !== undefined, { timeoutMs: 20_000 });
    expect((await letter())!.headers).toMatchObject({ traceparent, 'x-request-id': 'trace-req-2' });
  });
});
