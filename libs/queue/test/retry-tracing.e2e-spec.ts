/**
 * A retried record stays in its trace at span level, on RabbitMQ: a handler that fails its first
 * attempt (retry tier) and succeeds on the retry yields two `<stream> process` spans, both
 * children of the record's original `traceparent`, the first marked failed.
 */
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { HEADERS } from '@lib/contracts';
import { startTracingForTests, type TracingHandle } from '@lib/observability';
import { EventPublisher, Retry, type IncomingEvent, type QueueContext } from '@lib/queue';
import { testServices, uniqueName, waitFor } from '@test/support';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import { startContractApp, type ContractApp } from './contract/contract-app';
import { recordDeclarations } from './rabbitmq-test-helpers';

const declared = recordDeclarations();
const TRACE_ID = '5a4b3c2d1e0f9e8d7c6b5a4938271605';
const PARENT_SPAN = 'aabbccddeeff0011';

describe('tracing of a retried record (RabbitMQ)', () => {
  const exporter = new InMemorySpanExporter();
  const url = testServices().rabbitmqUrl;
  const stream = uniqueName('retry-trace');
  const attempts: number[] = [];
  let tracing: TracingHandle;
  let app: ContractApp | undefined;

  @Controller()
  class FailsOnceController {
    @EventPattern(stream)
    @Retry({ delaysMs: [100] })
    handle(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      const { attempt } = context.metadataOf(event);
      attempts.push(attempt);
      if (attempt === 0) throw new Error('first attempt fails');
    }
  }

  beforeAll(async () => {
    tracing = await startTracingForTests(exporter);
    app = await startContractApp(
      {
        env: () => ({ BROKER: 'rabbitmq', RABBITMQ_URL: url }),
        publishRaw: () => Promise.reject(new Error('not used')),
        cuttablePublisher: () => Promise.reject(new Error('not used')),
      },
      uniqueName('retry-trace-app'),
      FailsOnceController,
    );
  });

  afterAll(async () => {
    await app?.close();
    await tracing?.release();
    const model = await amqp.connect(url);
    model.on('error', () => undefined);
    await declared.deleteAll(model);
    await model.close().catch(() => undefined);
  });

  it('gives the first attempt and the retry process spans in the original trace', async () => {
    await app!.app.get(EventPublisher).publish([
      {
        stream,
        key: 'k',
        value: { eventId: randomUUID() },
        headers: { [HEADERS.traceparent]: `00-${TRACE_ID}-${PARENT_SPAN}-01` },
      },
    ]);
    const processed = () =>
      exporter.getFinishedSpans().filter((s) => s.name === `${stream} process`);
    await waitFor(() => processed().length >= 2, {
      timeoutMs: 20_000,
      description: 'two process spans',
    });
    expect(attempts).toEqual([0, 1]);
    const spans = processed();
    expect(spans).toHaveLength(2);
    for (const span of spans) {
      expect(span.spanContext().traceId).toBe(TRACE_ID);
      expect(span.parentSpanContext?.spanId).toBe(PARENT_SPAN);
      expect(span.attributes['messaging.system']).toBe('rabbitmq');
    }
    expect(spans.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });
});
