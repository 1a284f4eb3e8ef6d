import { Controller, Module, type Type } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { Env } from '@lib/config';
import { PlatformModule, createHttpApp, type HttpApp } from '@lib/platform';
import {
  connectQueueConsumers,
  EventPublisher,
  QUEUE_CONFIGS,
  QueueModule,
  type IncomingEvent,
} from '@lib/queue';
import { freePort, waitFor } from '@test/support';

@Module({})
class RecordingRootModule {}

/**
 * A listening app of group `group` that consumes `stream` with the given broker variables and
 * pushes each event's id to `received`: for tests of how the transports connect.
 */
export async function startRecordingApp(
  group: string,
  stream: string,
  env: Env,
  received: string[],
): Promise<HttpApp> {
  @Controller()
  class RecordingController {
    @EventPattern(stream)
    handle(event: IncomingEvent) {
      received.push(event.eventId);
    }
  }
  @Module({ controllers: [RecordingController as Type] })
  class FeatureModule {}
  const created = await createHttpApp({
    name: group,
    defaultPort: await freePort(),
    env: { LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0', ...env },
    module: (appEnv) => ({
      module: RecordingRootModule,
      imports: [PlatformModule.forRoot(group, appEnv), QueueModule.forRoot({}), FeatureModule],
    }),
    configs: QUEUE_CONFIGS,
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created;
}

/** The parts of a terminus readiness body the transport tests read. */
export interface ReadinessBody {
  readonly info: Record<string, { state?: string }>;
  readonly error: Record<string, { message?: string }>;
}

/** `GET /health/ready` of an app: status and body. */
export async function readinessOf(app: HttpApp): Promise<{ status: number; body: ReadinessBody }> {
  const response = await fetch(`http://${app.host}:${app.port}/health/ready`);
  return { status: response.status, body: (await response.json()) as ReadinessBody };
}

/**
 * Publishes an event with id `eventId` on `stream` through the app, again and again (a publish
 * may fail while the broker comes back), until the app has consumed it.
 */
export async function publishUntilConsumed(
  app: HttpApp,
  stream: string,
  eventId: string,
  received: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const publisher = app.app.get(EventPublisher);
  await waitFor(
    async () => {
      await publisher.publish([{ stream, key: 'k', value: { eventId } }]).catch(() => undefined);
      return received.includes(eventId);
    },
    { timeoutMs, intervalMs: 500, description: `${eventId} consumed` },
  );
}
