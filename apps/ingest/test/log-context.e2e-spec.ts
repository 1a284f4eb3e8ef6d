/**
 * The ids ingest stamps on an event reach the log lines of the app that consumes it: a handler
 * (a small consumer of `page-views`, beside ingest on one in-memory broker) logging with
 * `new Logger('Feature')` writes the request's `x-request-id`, the trace id of its `traceparent`
 * and the event id that ingest answered with.
 */
import { Controller, Logger, Module, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { createHttpApp, PlatformModule, type HttpApp } from '@lib/platform';
import {
  connectQueueConsumers,
  MemoryBroker,
  queueConfig,
  QueueModule,
  type IncomingEvent,
} from '@lib/queue';
import { freeTcpPort, waitFor } from '@test/support';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMemoryIngest } from './support/memory-ingest';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

@Controller()
class PageViewLogger {
  private readonly logger = new Logger('Feature');

  @EventPattern('page-views')
  async counted(@Payload() event: IncomingEvent<{ pageId: string }>) {
    await Promise.resolve();
    this.logger.log({ msg: 'page view counted', pageId: event.payload.pageId });
  }
}

async function startConsumer(broker: MemoryBroker, controller: Type): Promise<HttpApp> {
  @Module({ controllers: [controller] })
  class FeatureModule {}
  @Module({})
  class ConsumerRoot {}
  const created = await createHttpApp({
    name: 'log-context-consumer',
    defaultPort: await freeTcpPort(),
    env: { BROKER: 'memory', LOG_LEVEL: 'info', LOG_FORMAT: 'json', SHUTDOWN_GRACE_MS: '0' },
    module: (env) => ({
      module: ConsumerRoot,
      imports: [
        PlatformModule.forRoot('log-context-consumer', env),
        QueueModule.forRoot({ memoryBroker: broker }),
        FeatureModule,
      ],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created;
}

describe('ids stamped by ingest in a consumer log line (memory broker)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'log-context-'));
  const broker = new MemoryBroker();
  let ingest: HttpApp;
  let url: string;
  let consumer: HttpApp;
  let lines: Array<Record<string, unknown>>;

  beforeAll(async () => {
    lines = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk)
        .split('\n')
        .filter((l) => l.startsWith('{')))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      return true;
    });
    ({ created: ingest, url } = await startMemoryIngest(dataDir, broker, {
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    }));
    consumer = await startConsumer(broker, PageViewLogger);
  });

  afterAll(async () => {
    await consumer?.app.close();
    await ingest?.app.close();
    jest.restoreAllMocks();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("carries the request's id, its trace id and the event id ingest answered", async () => {
    const response = await fetch(`${url}/v1/page-views`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'req-e2e-7',
        traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01`,
      },
      body: JSON.stringify({ pageId: 'log-context-home' }),
    });
    expect(response.status).toBe(202);
    const { eventIds } = (await response.json()) as { eventIds: string[] };
    expect(eventIds).toHaveLength(1);

    const counted = await waitFor(
      () => lines.find((l) => l.context === 'Feature' && l.pageId === 'log-context-home'),
      { timeoutMs: 20_000, description: "the consumer's line" },
    );
    expect(counted).toEqual(
      expect.objectContaining({
        msg: 'page view counted',
        eventId: eventIds[0],
        requestId: 'req-e2e-7',
        traceId: TRACE_ID,
      }),
    );
  });
});
