/**
 * A spooled event stays in its request's trace through a RabbitMQ outage: ingest (in this process,
 * with an in-memory span exporter) reaches the real broker through a TcpProxy the test cuts. The
 * POST answers 202 with a `page-views spool append` span in the request's trace; once the proxy is
 * restored the spool replays, and the replay's `page-views publish` span and a consumer's
 * `page-views process` span carry the HTTP span's trace id.
 */
import { Controller, Module } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { startTracingForTests, type TracingHandle } from '@lib/observability';
import { createHttpApp, PlatformModule, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, queueConfig, QueueModule } from '@lib/queue';
import { DEFAULT_RETRY_POLICY, topologyNames } from '@lib/retry';
import { freeTcpPort, TcpProxy, testServices, uniqueName, waitFor } from '@test/support';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as amqp from 'amqplib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../src/ingest.app';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_PARENT = `00-${TRACE_ID}-b7ad6b7169203331-01`;

@Controller()
class PageViewsConsumer {
  @EventPattern('page-views')
  handle() {
    // Nothing to do: the queue runtime's `process` span is what the test reads.
  }
}

@Module({ controllers: [PageViewsConsumer] })
class PageViewsConsumerModule {}

/** A consumer of `page-views` in this process, in consumer group `group`, straight on RabbitMQ. */
async function startConsumer(group: string, rabbitmqUrl: string): Promise<HttpApp> {
  const created = await createHttpApp({
    name: group,
    defaultPort: await freeTcpPort(),
    env: {
      BROKER: 'rabbitmq',
      RABBITMQ_URL: rabbitmqUrl,
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
    },
    module: (env) => ({
      module: PageViewsConsumerModule,
      imports: [PlatformModule.forRoot(group, env), QueueModule.forRoot({})],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created;
}

describe('tracing through a RabbitMQ outage: spool append, replay, process', () => {
  const exporter = new InMemorySpanExporter();
  const rabbitmqUrl = testServices().rabbitmqUrl;
  let tracing: TracingHandle;
  let proxy: TcpProxy;
  let dataDir: string;
  let ingest: HttpApp | undefined;
  let consumer: HttpApp | undefined;
  const group = uniqueName('trace-outage');
  let ingestUrl: string;

  beforeAll(async () => {
    tracing = await startTracingForTests(exporter);
    const target = new URL(rabbitmqUrl);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    dataDir = await mkdtemp(join(tmpdir(), 'ep-ingest-tracing-outage-'));
    // The consumer reaches the broker directly: only ingest loses it.
    consumer = await startConsumer(group, rabbitmqUrl);
    const viaProxy = new URL(rabbitmqUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    ingest = await createIngestApp({
      BROKER: 'rabbitmq',
      RABBITMQ_URL: viaProxy.toString(),
      DATA_DIR: dataDir,
      PORT: String(await freeTcpPort()),
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_MS: '0',
      BREAKER_RESET_MS: '1000',
    });
    ingestUrl = await ingest.listen();
  });

  afterAll(async () => {
    proxy?.restore();
    await ingest?.app.close();
    await consumer?.app.close();
    await proxy?.close();
    await tracing?.release();
    await rm(dataDir, { recursive: true, force: true });
    // Only this file's consumer queues: the `page-views` exchange is shared.
    const model = await amqp.connect(rabbitmqUrl);
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    const names = topologyNames.rabbitmq;
    const queues = [
      names.queue(group, 'page-views'),
      names.failedQueue(group, 'page-views'),
      ...DEFAULT_RETRY_POLICY.delaysMs.map((d) => names.retryQueue(group, 'page-views', d)),
    ];
    for (const queue of queues) await channel.deleteQueue(queue).catch(() => undefined);
    await model.close().catch(() => undefined);
  });

  const named = (name: string) =>
    exporter
      .getFinishedSpans()
      .filter((s) => s.name === name && s.spanContext().traceId === TRACE_ID);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it("keeps the spooled event's replay and processing in the request's trace", async () => {
    expect(proxy.openConnections).toBeGreaterThan(0);
    proxy.cut();

    const response = await fetch(`${ingestUrl}/v1/page-views`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: CLIENT_PARENT,
        'x-request-id': 'trace-outage-1',
      },
      body: JSON.stringify({ pageId: uniqueName('spooled'), visitorId: 'v-1' }),
    });
    expect(response.status).toBe(202);
    await waitFor(() => named('POST /v1/page-views').length === 1, { timeoutMs: 5_000 });
    const [http] = named('POST /v1/page-views');
    expect(http.attributes['http.response.status_code']).toBe(202);
    const [append] = named('page-views spool append');
    expect(append).toBeDefined();
    expect(parentOf(append)).toBe(http.spanContext().spanId);
    // Broker cut: nothing reached the consumer yet.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(named('page-views process')).toEqual([]);

    proxy.restore();
    await waitFor(() => named('page-views process').length > 0, {
      timeoutMs: 60_000,
      intervalMs: 100,
      description: 'the replayed event processed',
    });
    const replays = named('page-views publish').filter(
      (s) => s.attributes['event_pipeline.spool.replay'] === true,
    );
    expect(replays.length).toBeGreaterThan(0);
    // The replay continues the stored context: the HTTP span's.
    for (const replay of replays) expect(parentOf(replay)).toBe(http.spanContext().spanId);
    const [process] = named('page-views process');
    expect(parentOf(process)).toBe(http.spanContext().spanId);
    expect(process.attributes['messaging.system']).toBe('rabbitmq');
  }, 120_000);
});
