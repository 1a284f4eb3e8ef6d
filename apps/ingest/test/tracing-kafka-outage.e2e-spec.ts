/**
 * A spooled event stays in its request's trace through a Kafka outage. Ingest runs as a process
 * whose every Kafka connection (the advertised address included) goes through a TcpProxy the test
 * cuts, and exports its spans over OTLP to a collector in the test; a consumer in this process
 * (in-memory exporter) reaches the broker directly. The POST answers 202 with a `page-views spool
 * append` span in the request's trace; once the proxy is restored the spool replays, and the
 * replay's `page-views publish` span and the consumer's `page-views process` span carry the HTTP
 * span's trace id. The RabbitMQ twin is tracing-outage.e2e-spec.ts.
 */
import { startTracingForTests, type TracingHandle } from '@lib/observability';
import type { HttpApp } from '@lib/platform';
import {
  startAppProcess,
  TcpProxy,
  testServices,
  uniqueName,
  type AppProcess,
} from '@test/support';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { kafkaBehindProxyEnv } from './support/kafka-proxy-env';
import { startOtlpCollector, type OtlpCollector } from './support/otlp-collector';
import { spanRecordOf } from './support/span-record';
import { expectSpooledEventInRequestTrace, startPageViewsConsumer } from './support/trace-outage';

describe('tracing through a Kafka outage: spool append, replay, process', () => {
  const exporter = new InMemorySpanExporter();
  const brokers = testServices().kafkaBrokers;
  let tracing: TracingHandle;
  let collector: OtlpCollector;
  let proxy: TcpProxy;
  let ingest: AppProcess | undefined;
  let consumer: HttpApp | undefined;

  beforeAll(async () => {
    tracing = await startTracingForTests(exporter);
    collector = await startOtlpCollector();
    const [host, port] = brokers.split(',')[0].split(':');
    proxy = await TcpProxy.start(host, Number(port));
    // The consumer reaches the broker directly: only ingest loses it.
    consumer = await startPageViewsConsumer(uniqueName('trace-kafka-outage'), {
      BROKER: 'kafka',
      KAFKA_BROKERS: brokers,
    });
    ingest = await startAppProcess('ingest', {
      env: {
        BROKER: 'kafka',
        ...kafkaBehindProxyEnv(proxy),
        BREAKER_RESET_MS: '1000',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.url,
        OTEL_TRACES_SAMPLER: 'always_on',
        // The SDK's batch delay (default 5 s) would only make the test wait.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  }, 120_000);

  afterAll(async () => {
    proxy?.restore();
    await ingest?.kill();
    await consumer?.app.close();
    await proxy?.close();
    await collector?.stop();
    await tracing?.release();
  });

  it("keeps the spooled event's replay and processing in the request's trace", async () => {
    expect(proxy.openConnections).toBeGreaterThan(0);
    try {
      await expectSpooledEventInRequestTrace({
        ingestUrl: ingest!.url,
        transport: 'kafka',
        spans: () => [...collector.spans(), ...exporter.getFinishedSpans().map(spanRecordOf)],
        cut: () => proxy.cut(),
        restore: () => proxy.restore(),
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- ingest output ---\n${ingest!.output()}`);
    }
  }, 120_000);
});
