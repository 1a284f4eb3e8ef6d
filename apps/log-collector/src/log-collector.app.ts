import type { Env } from '@lib/config';
import { databaseConfig } from '@lib/database';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { LogCollectorModule } from './log-collector.module';

/** Default HTTP port (CONTRACT.md). */
export const LOG_COLLECTOR_DEFAULT_PORT = 3002;

/** Creates the log-collector app for an environment (validated first; a bad variable throws ConfigError). */
export function createLogCollectorApp(env: Env): Promise<HttpApp> {
  return createHttpApp({
    name: 'log-collector',
    defaultPort: LOG_COLLECTOR_DEFAULT_PORT,
    env,
    module: (appEnv) => LogCollectorModule.register(appEnv),
    configs: [databaseConfig],
  });
}
