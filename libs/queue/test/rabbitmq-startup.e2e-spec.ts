/**
 * A consuming app on RabbitMQ starts whatever the broker does at that moment: refused (a wrong
 * password) it stays up with readiness 503 naming the refusal; unreachable (a cut proxy) it stays
 * ready and consumes once the broker is back. Against the machine's real RabbitMQ.
 */
import { Controller, Module, type Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { PlatformModule, createHttpApp, type HttpApp } from '@lib/platform';
import {
  connectQueueConsumers,
  EventPublisher,
  QUEUE_CONFIGS,
  QueueModule,
  type IncomingEvent,
} from '@lib/queue';
import { TcpProxy, freePort, testServices, uniqueName, waitFor } from '@test/support';

jest.setTimeout(60_000);

@Module({})
class StartupRootModule {}

/** An app consuming `stream` from RabbitMQ at `url`; received event ids land in `received`. */
async function startConsumer(url: string, stream: string, received: string[]): Promise<HttpApp> {
  @Controller()
  class RecordingController {
    @EventPattern(stream)
    handle(event: IncomingEvent) {
      received.push(event.eventId);
    }
  }
  @Module({ controllers: [RecordingController as Type] })
  class FeatureModule {}
  const group = uniqueName('rmq-startup');
  const created = await createHttpApp({
    name: group,
    defaultPort: await freePort(),
    env: { BROKER: 'rabbitmq', RABBITMQ_URL: url, LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0' },
    module: (appEnv) => ({
      module: StartupRootModule,
      imports: [PlatformModule.forRoot(group, appEnv), QueueModule.forRoot({}), FeatureModule],
    }),
    configs: QUEUE_CONFIGS,
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created;
}

/** The parts of a terminus readiness body these tests read. */
interface ReadinessBody {
  readonly info: Record<string, { state?: string }>;
  readonly error: Record<string, { message?: string }>;
}

async function readiness(app: HttpApp): Promise<{ status: number; body: ReadinessBody }> {
  const response = await fetch(`http://${app.host}:${app.port}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadinessBody };
}

describe('a consuming app starting while RabbitMQ is not there for it (real broker)', () => {
  const rabbitmqUrl = () => testServices().rabbitmqUrl;

  it('refused: starts, answers /health/ready 503 with the refusal, never showing the password', async () => {
    const url = new URL(rabbitmqUrl());
    const wrongPassword = 'not-the-password-93';
    url.password = wrongPassword;
    const app = await startConsumer(url.toString(), uniqueName('refused'), []);
    try {
      const { status, body } = await readiness(app);
      expect(status).toBe(503);
      expect(body.error.rabbitmq.message).toMatch(/ACCESS_REFUSED/);
      expect(JSON.stringify(body)).not.toContain(wrongPassword);
      expect((await fetch(`http://${app.host}:${app.port}/health/live`)).status).toBe(200);
    } finally {
      await app.app.close();
    }
  });

  it('unreachable: starts ready, then consumes once the broker is back', async () => {
    const target = new URL(rabbitmqUrl());
    const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
    proxy.cut();
    const viaProxy = new URL(rabbitmqUrl());
    viaProxy.host = proxy.address;
    const stream = uniqueName('unreachable');
    const received: string[] = [];
    const app = await startConsumer(viaProxy.toString(), stream, received);
    try {
      const { status, body } = await readiness(app);
      expect(status).toBe(200);
      expect(body.info.rabbitmq.state).toBe('unreachable');

      proxy.restore();
      const publisher = app.app.get(EventPublisher);
      await waitFor(
        async () => {
          await publisher
            .publish([{ stream, key: 'k', value: { eventId: 'after-outage' } }])
            .catch(() => undefined);
          return received.includes('after-outage');
        },
        {
          timeoutMs: 30_000,
          intervalMs: 500,
          description: 'the event published after the outage consumed',
        },
      );
    } finally {
      await app.app.close();
      await proxy.close();
    }
  });
});
