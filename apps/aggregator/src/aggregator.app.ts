import type { Env } from '@lib/config';
import { databaseConfig } from '@lib/database';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { AggregatorModule } from './aggregator.module';

/** Default HTTP port (CONTRACT.md). */
export const AGGREGATOR_DEFAULT_PORT = 3001;

/** Creates the aggregator app for an environment (validated first; a bad variable throws ConfigError). */
export function createAggregatorApp(env: Env): Promise<HttpApp> {
  return createHttpApp({
    name: 'aggregator',
    defaultPort: AGGREGATOR_DEFAULT_PORT,
    env,
    module: (appEnv) => AggregatorModule.register(appEnv),
    configs: [databaseConfig],
  });
}
