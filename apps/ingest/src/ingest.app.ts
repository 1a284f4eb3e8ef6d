import type { Env } from '@lib/config';
import { consoleConfig } from '@lib/console';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { connectQueueConsumers, QUEUE_CONFIGS, type QueueModuleOptions } from '@lib/queue';
import { spoolConfig } from '@lib/spool';
import { IngestModule } from './ingest.module';

/** Default HTTP port (docs/contract.md). */
export const INGEST_DEFAULT_PORT = 3000;

/** Creates the ingest app for an environment (validated first; a bad variable throws ConfigError); `queue.memoryBroker` is the process's shared in-memory broker. */
export function createIngestApp(
  env: Env,
  queue: Pick<QueueModuleOptions, 'memoryBroker'> = {},
): Promise<HttpApp> {
  return createHttpApp({
    name: 'ingest',
    defaultPort: INGEST_DEFAULT_PORT,
    env,
    module: (appEnv) => IngestModule.register(appEnv, queue),
    configs: [...QUEUE_CONFIGS, spoolConfig, consoleConfig],
    beforeListen: connectQueueConsumers,
  });
}
