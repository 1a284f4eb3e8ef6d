import type { Env } from '@lib/config';
import { databaseConfig } from '@lib/database';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, QUEUE_CONFIGS, type QueueModuleOptions } from '@lib/queue';
import { workQueueConfig } from '@lib/work-queue';
import { PvCounterModule } from './pv-counter.module';
import { sketchMergeConfig, viewMergeConfig } from './storage';

/** Default HTTP port (docs/contract.md). */
export const PV_COUNTER_DEFAULT_PORT = 3003;

/** Creates the pv-counter app for an environment (validated first; a bad variable throws ConfigError); `queue.memoryBroker` is the process's shared in-memory broker. */
export function createPvCounterApp(
  env: Env,
  queue: Pick<QueueModuleOptions, 'memoryBroker'> = {},
): Promise<HttpApp> {
  return createHttpApp({
    name: 'pv-counter',
    defaultPort: PV_COUNTER_DEFAULT_PORT,
    env,
    module: (appEnv) => PvCounterModule.register(appEnv, queue),
    configs: [
      databaseConfig,
      ...QUEUE_CONFIGS,
      workQueueConfig,
      sketchMergeConfig,
      viewMergeConfig,
    ],
    beforeListen: connectQueueConsumers,
  });
}
