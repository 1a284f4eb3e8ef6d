/**
 * The queue's metrics on the in-memory broker, read from `/metrics` as Prometheus scrapes them:
 * handler durations, per-partition lag, publish durations and the dead letters per stream.
 */
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { EventPublisher, MemoryBroker, Retry, type IncomingEvent } from '@lib/queue';
import { uniqueName, waitFor } from '@test/support';
import { startContractApp, type ContractApp } from './contract/contract-app';

describe('queue metrics (memory broker)', () => {
  const ok = uniqueName('metrics-ok');
  const failing = uniqueName('metrics-failing');
  let app: ContractApp;
  let handled = 0;

  @Controller()
  class MetricsController {
    @EventPattern(ok)
    handle() {
      handled++;
    }

    @EventPattern(failing)
    @Retry({ delaysMs: [50], maxAttempts: 2 })
    fail(event: IncomingEvent) {
      throw new Error(`event ${event.eventId} always fails`);
    }
  }

  beforeAll(async () => {
    const memoryBroker = new MemoryBroker();
    const broker = {
      env: () => ({ BROKER: 'memory' }),
      queueOptions: () => ({ memoryBroker }),
      publishRaw: async () => undefined,
      cuttablePublisher: async () => {
        throw new Error('not used');
      },
    };
    app = await startContractApp(broker, uniqueName('metrics'), MetricsController);
  });

  afterAll(() => app?.close());

  it('counts handler calls, lag per partition, publishes and a dead letter per stream', async () => {
    const publisher = app.app.get(EventPublisher);
    await publisher.publish(
      ['a', 'b', 'c'].map((id) => ({ stream: ok, key: id, value: { eventId: `ok-${id}` } })),
    );
    await publisher.publish([{ stream: failing, key: 'x', value: { eventId: 'dead-1' } }]);
    await waitFor(() => handled === 3, { description: 'three events handled' });
    await waitFor(
      async () =>
        (await app.request('GET', `/admin/dead-letters?stream=${failing}`)).body.items?.length ===
        1,
      { description: 'one dead letter' },
    );

    const { status, body } = await app.request('GET', '/metrics');
    expect(status).toBe(200);
    const text = body as string;
    expect(text).toContain(`queue_dead_letters{stream="${failing}"} 1`);
    expect(text).toContain(`queue_dead_letters{stream="${ok}"} 0`);
    expect(text).toContain(`queue_handler_duration_seconds_count{stream="${ok}"} 3`);
    // The first attempt and its one retry.
    expect(text).toContain(`queue_handler_duration_seconds_count{stream="${failing}"} 2`);
    expect(text).toMatch(
      new RegExp(`queue_consumer_lag_records\\{stream="${ok}",partition="\\d+"\\} 0`),
    );
    expect(text).toContain(`queue_publish_duration_seconds_count{stream="${ok}",outcome="ok"} 1`);
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/admin\/dead-letters",status="200"\} [1-9]/,
    );
  });
});
