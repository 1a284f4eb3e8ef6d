import { expect } from '@jest/globals';
import { Controller, Module } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { createHttpApp, PlatformModule, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, queueConfig, QueueModule } from '@lib/queue';
import { freeTcpPort, uniqueName, waitFor } from '@test/support';
import { postJson, send } from './http';
import type { SpanRecord } from './span-record';

/** The client's trace: every span of the spooled event must carry this trace id. */
export const CLIENT_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_PARENT = `00-${CLIENT_TRACE_ID}-b7ad6b7169203331-01`;

@Controller()
class PageViewsConsumer {
  @EventPattern('page-views')
  handle() {
    // Nothing to do: the queue runtime's `process` span is what the test reads.
  }
}

@Module({ controllers: [PageViewsConsumer] })
class PageViewsConsumerModule {}

/**
 * A consumer of `page-views` in this process, in consumer group `group`, on the broker `env`
 * names (BROKER and its address); its spans go to this process's tracer provider.
 */
export async function startPageViewsConsumer(
  group: string,
  env: Record<string, string>,
): Promise<HttpApp> {
  const created = await createHttpApp({
    name: group,
    defaultPort: await freeTcpPort(),
    env: { ...env, LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0' },
    module: (appEnv) => ({
      module: PageViewsConsumerModule,
      imports: [PlatformModule.forRoot(group, appEnv), QueueModule.forRoot({})],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created;
}

/** What {@link expectSpooledEventInRequestTrace} drives: ingest behind a cuttable broker path. */
export interface TraceOutage {
  readonly ingestUrl: string;
  /** The broker as `messaging.system` names it on the consumer's span. */
  readonly transport: 'kafka' | 'rabbitmq';
  /** Every span finished so far: ingest's (only this test's requests) and the consumer's. */
  spans(): SpanRecord[];
  /** Cuts ingest off the broker; the consumer keeps it. */
  cut(): void;
  restore(): void;
}

/** `publisher` of the broker's entry in ingest's readiness details: connected or disconnected. */
async function publisherState(outage: TraceOutage): Promise<unknown> {
  const answer = await send(`${outage.ingestUrl}/health/ready`);
  const details = (answer.body as { details?: Record<string, { publisher?: unknown }> }).details;
  return details?.[outage.transport]?.publisher;
}

/**
 * Cuts the broker, POSTs one page view with the client's `traceparent` and asserts that its
 * `page-views spool append` span is the HTTP span's child; restores the broker and asserts that
 * the replay's `page-views publish` span and the consumer's `page-views process` span of that
 * event are the HTTP span's children in the client's trace. The event's spans are found by
 * request and event id, not by trace id, so a lost trace context fails the assertions.
 */
export async function expectSpooledEventInRequestTrace(outage: TraceOutage): Promise<void> {
  const requestId = uniqueName('trace-outage');
  const eventId = uniqueName('spooled');
  const find = (match: (span: SpanRecord) => boolean) => outage.spans().filter(match);
  const processOfEvent = () =>
    find(
      (s) => s.name === 'page-views process' && s.attributes['messaging.message.id'] === eventId,
    );

  outage.cut();
  const answer = await postJson(
    `${outage.ingestUrl}/v1/page-views`,
    { pageId: uniqueName('traced'), visitorId: 'v-1', eventId },
    { traceparent: CLIENT_PARENT, 'x-request-id': requestId },
  );
  expect(answer.status).toBe(202);

  const httpOfRequest = () =>
    find((s) => s.name === 'POST /v1/page-views' && s.attributes['http.request.id'] === requestId);
  await waitFor(() => httpOfRequest().length === 1, {
    timeoutMs: 5_000,
    description: "the request's HTTP span",
  });
  const [http] = httpOfRequest();
  expect(http.traceId).toBe(CLIENT_TRACE_ID);
  expect(http.attributes['http.response.status_code']).toBe(202);
  const childrenOfHttp = (name: string) =>
    find((s) => s.name === name && s.parentSpanId === http.spanId);
  await waitFor(() => childrenOfHttp('page-views spool append').length === 1, {
    timeoutMs: 5_000,
    description: "the request's spool append span",
  });
  expect(childrenOfHttp('page-views spool append')[0].traceId).toBe(CLIENT_TRACE_ID);

  // The broker stays cut until ingest's publisher knows it is gone. Kafka learns it only when the
  // direct publish fails: an attempt that outlives the ack bound is spooled but goes on, and had
  // it reached the broker after the restore, the spooled copy would be dropped, not replayed.
  await waitFor(async () => (await publisherState(outage)) === 'disconnected', {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: "ingest's publisher disconnected",
  });
  expect(processOfEvent()).toEqual([]);

  outage.restore();
  const replays = () =>
    find(
      (s) =>
        s.name === 'page-views publish' && s.attributes['event_pipeline.spool.replay'] === true,
    );
  await waitFor(() => processOfEvent().length > 0 && replays().length > 0, {
    timeoutMs: 60_000,
    intervalMs: 100,
    description: 'the event replayed and processed',
  });
  for (const process of processOfEvent()) {
    expect(process.traceId).toBe(CLIENT_TRACE_ID);
    expect(process.parentSpanId).toBe(http.spanId);
    expect(process.attributes['messaging.system']).toBe(outage.transport);
  }
  // Ingest saw no other request: every page-views replay span is this event's, and continues the
  // stored context.
  for (const replay of replays()) {
    expect(replay.traceId).toBe(CLIENT_TRACE_ID);
    expect(replay.parentSpanId).toBe(http.spanId);
  }
}
