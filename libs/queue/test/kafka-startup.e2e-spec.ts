/**
 * A consuming app on Kafka starts while the broker is unreachable: it stays ready (the outage
 * shows as the broker's state), keeps connecting in the background, and consumes once the broker
 * is back, instead of failing start-up and being restarted in a loop. Against the test run's
 * real broker, reached through a proxy the test cuts (only the bootstrap goes through it).
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

jest.setTimeout(90_000);

@Module({})
class KafkaStartupRootModule {}

/** The parts of a terminus readiness body this test reads. */
interface ReadinessBody {
  readonly info: Record<string, { state?: string }>;
}

describe('a consuming app starting while Kafka is unreachable (real broker)', () => {
  it('starts ready, then consumes once the broker is back', async () => {
    const [host, port] = testServices().kafkaBrokers.split(',')[0].split(':');
    const proxy = await TcpProxy.start(host, Number(port));
    proxy.cut();
    const stream = uniqueName('kafka-unreachable');
    const received: string[] = [];
    @Controller()
    class RecordingController {
      @EventPattern(stream)
      handle(event: IncomingEvent) {
        received.push(event.eventId);
      }
    }
    @Module({ controllers: [RecordingController as Type] })
    class FeatureModule {}
    const group = uniqueName('kafka-startup');
    let app: HttpApp | undefined;
    try {
      app = await createHttpApp({
        name: group,
        defaultPort: await freePort(),
        env: {
          BROKER: 'kafka',
          KAFKA_BROKERS: proxy.address,
          LOG_LEVEL: 'error',
          SHUTDOWN_GRACE_MS: '0',
        },
        module: (appEnv) => ({
          module: KafkaStartupRootModule,
          imports: [PlatformModule.forRoot(group, appEnv), QueueModule.forRoot({}), FeatureModule],
        }),
        configs: QUEUE_CONFIGS,
        beforeListen: connectQueueConsumers,
      });
      await app.listen();
      const response = await fetch(`http://${app.host}:${app.port}/health/ready`);
      expect(response.status).toBe(200);
      expect(((await response.json()) as ReadinessBody).info.kafka.state).toBe('unreachable');

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
          timeoutMs: 60_000,
          intervalMs: 1_000,
          description: 'the event published after the outage consumed',
        },
      );
    } finally {
      await app?.app.close();
      await proxy.close();
    }
  });
});
