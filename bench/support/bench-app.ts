import { Module, type Type } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServer, type AddressInfo } from 'node:net';
import type { Env } from '@lib/config';
import { createHttpApp, PlatformModule } from '@lib/platform';
import {
  connectQueueConsumers,
  queueConfig,
  QueueModule,
  type QueueModuleOptions,
} from '@lib/queue';

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Options of {@link startQueueApp}. */
export interface QueueAppOptions {
  /** App name, also the consumer group. */
  readonly name: string;
  /** BROKER, its address and any other variable; LOG_LEVEL defaults to warn. */
  readonly env: Env;
  /** Controllers with the `@EventPattern` handlers under test. */
  readonly controllers: Type[];
  readonly queue?: QueueModuleOptions;
}

/**
 * Starts an app the way the real ones start (createHttpApp + QueueModule +
 * connectQueueConsumers) with the given handlers, on a free port; close it with `app.close()`.
 */
export async function startQueueApp(options: QueueAppOptions): Promise<NestFastifyApplication> {
  @Module({ controllers: options.controllers })
  class BenchFeatureModule {}
  @Module({})
  class BenchRootModule {}
  const created = await createHttpApp({
    name: options.name,
    defaultPort: await freePort(),
    env: { LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '0', ...options.env },
    module: (env) => ({
      module: BenchRootModule,
      imports: [
        PlatformModule.forRoot(options.name, env),
        QueueModule.forRoot(options.queue ?? {}),
        BenchFeatureModule,
      ],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  return created.app;
}
