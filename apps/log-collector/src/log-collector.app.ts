import type { Env } from '@lib/config';
import { databaseConfig } from '@lib/database';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, QUEUE_CONFIGS, type QueueModuleOptions } from '@lib/queue';
import { spoolConfig } from '@lib/spool';
import { workQueueConfig } from '@lib/work-queue';
import { LogCollectorModule } from './log-collector.module';
import { logsConfig } from './logs';

/** Default HTTP port (docs/contract.md). */
export const LOG_COLLECTOR_DEFAULT_PORT = 3002;

/** Creates the log-collector app for an environment (validated first; a bad variable throws ConfigError); `queue.memoryBroker` is the process's shared in-memory broker. */
export function createLogCollectorApp(
  env: Env,
  queue: Pick<QueueModuleOptions, 'memoryBroker'> = {},
): Promise<HttpApp> {
  return createHttpApp({
    name: 'log-collector',
    defaultPort: LOG_COLLECTOR_DEFAULT_PORT,
    env,
    module: (appEnv) => LogCollectorModule.register(appEnv, queue),
    configs: [databaseConfig, ...QUEUE_CONFIGS, spoolConfig, workQueueConfig, logsConfig],
    beforeListen: connectQueueConsumers,
  });
}
