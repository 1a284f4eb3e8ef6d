/**
 * A spooled event stays in its request's trace through a RabbitMQ outage: ingest (in this process,
 * with an in-memory span exporter) reaches the real broker through a TcpProxy the test cuts. The
 * POST answers 202 with a `page-views spool append` span in the request's trace; once the proxy is
 * restored the spool replays, and the replay's `page-views publish` span and a consumer's
 * `page-views process` span carry the HTTP span's trace id. The Kafka twin is
 * tracing-kafka-outage.e2e-spec.ts.
 */
import { startTracingForTests, type TracingHandle } from '@lib/observability';
import type { HttpApp } from '@lib/platform';
import { DEFAULT_RETRY_POLICY, topologyNames } from '@lib/retry';
import { freeTcpPort, TcpProxy, testServices, uniqueName } from '@test/support';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import * as amqp from 'amqplib';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIngestApp } from '../src/ingest.app';
import { spanRecordOf } from './support/span-record';
import { expectSpooledEventInRequestTrace, startPageViewsConsumer } from './support/trace-outage';

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
    consumer = await startPageViewsConsumer(group, {
      BROKER: 'rabbitmq',
      RABBITMQ_URL: rabbitmqUrl,
    });
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

  it("keeps the spooled event's replay and processing in the request's trace", async () => {
    expect(proxy.openConnections).toBeGreaterThan(0);
    await expectSpooledEventInRequestTrace({
      ingestUrl,
      transport: 'rabbitmq',
      spans: () => exporter.getFinishedSpans().map(spanRecordOf),
      cut: () => proxy.cut(),
      restore: () => proxy.restore(),
    });
  }, 120_000);
});
