import type { Env } from '@lib/config';
import { createHttpApp, type HttpApp } from '@lib/platform';
import { IngestModule } from './ingest.module';

/** Default HTTP port (CONTRACT.md). */
export const INGEST_DEFAULT_PORT = 3000;

/** Creates the ingest app for an environment (validated first; a bad variable throws ConfigError). */
export function createIngestApp(env: Env): Promise<HttpApp> {
  return createHttpApp({
    name: 'ingest',
    defaultPort: INGEST_DEFAULT_PORT,
    env,
    module: (appEnv) => IngestModule.register(appEnv),
    configs: [],
  });
}
