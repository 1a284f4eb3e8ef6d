import type { Env } from '@lib/config';
import { databaseConfig } from '@lib/database';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, QUEUE_CONFIGS, type QueueModuleOptions } from '@lib/queue';
import { AggregatorModule } from './aggregator.module';

/** Default HTTP port (docs/contract.md). */
export const AGGREGATOR_DEFAULT_PORT = 3001;

/** Creates the aggregator app for an environment (validated first; a bad variable throws ConfigError); `queue.memoryBroker` is the process's shared in-memory broker. */
export function createAggregatorApp(
  env: Env,
  queue: Pick<QueueModuleOptions, 'memoryBroker'> = {},
): Promise<HttpApp> {
  return createHttpApp({
    name: 'aggregator',
    defaultPort: AGGREGATOR_DEFAULT_PORT,
    env,
    module: (appEnv) => AggregatorModule.register(appEnv, queue),
    configs: [databaseConfig, ...QUEUE_CONFIGS],
    beforeListen: connectQueueConsumers,
  });
}
