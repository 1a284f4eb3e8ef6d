/**
 * `npm start`: all four apps in one process on ports 3000-3003 with the embedded defaults (the
 * in-memory broker and one embedded PostgreSQL under DATA_DIR shared by the apps).
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { isStartupRefusal, type Env } from '@lib/config';
import { databaseConfig, startEmbeddedPostgres, type EmbeddedPostgres } from '@lib/database';
import { ShutdownCoordinator } from '@lib/lifecycle';
import type { HttpApp } from '@lib/platform';
import { MemoryBroker, type QueueModuleOptions } from '@lib/queue';
import { join } from 'node:path';
import { createAggregatorApp } from '../apps/aggregator/src/aggregator.app';
import { createIngestApp } from '../apps/ingest/src/ingest.app';
import { createLogCollectorApp } from '../apps/log-collector/src/log-collector.app';
import { createPvCounterApp } from '../apps/pv-counter/src/pv-counter.app';

/** Apps in start order; they stop in reverse, so intake (ingest) stops first and the consumers flush after. */
const APPS: ReadonlyArray<{
  name: string;
  port: number;
  create: (env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'>) => Promise<HttpApp>;
}> = [
  { name: 'log-collector', port: 3002, create: createLogCollectorApp },
  { name: 'pv-counter', port: 3003, create: createPvCounterApp },
  { name: 'aggregator', port: 3001, create: createAggregatorApp },
  { name: 'ingest', port: 3000, create: createIngestApp },
];

/** Enough for every app's pool against the one shared embedded server. */
const EMBEDDED_CONNECTIONS_PER_APP = 12;
const STOP_TIMEOUT_MS = 9_000;
const logger = new Logger('start-all');

async function main(): Promise<void> {
  const base: Env = { BROKER: 'memory', ...process.env };
  const database = databaseConfig.load(base);
  let embedded: EmbeddedPostgres | undefined;
  // One in-process broker for all four apps, so that ingest's events reach the consumers (BROKER=memory).
  const memoryBroker = new MemoryBroker();
  const started: HttpApp[] = [];
  // Handlers first: a Ctrl-C during start-up must still close what has started.
  const stopAll = once(async (signal: string) => {
    logger.log(`${signal}: stopping`);
    const timer = setTimeout(() => {
      logger.error(`apps did not stop within ${STOP_TIMEOUT_MS} ms; exiting anyway`);
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
    // Intake first, then the consumers (which flush), then the shared database.
    let clean = true;
    for (const app of [...started].reverse()) {
      await app.app.close();
      clean &&= app.app.get(ShutdownCoordinator).outcome?.clean !== false;
    }
    await embedded?.stop();
    clearTimeout(timer);
    // 0 only when every app's shutdown finished in time without an error.
    process.exit(clean ? 0 : 1);
  });
  process.on('SIGINT', () => void stopAll('SIGINT'));
  process.on('SIGTERM', () => void stopAll('SIGTERM'));

  if (!database.DATABASE_URL) {
    embedded = await startEmbeddedPostgres(
      join(database.DATA_DIR, 'pglite'),
      EMBEDDED_CONNECTIONS_PER_APP * APPS.length,
    );
    logger.log(`embedded PostgreSQL (${embedded.dataDir}) at ${embedded.url}`);
  }

  try {
    // Sequentially: each app applies pending migrations under a lock at start-up.
    for (const spec of APPS) {
      const env: Env = {
        ...base,
        PORT: String(spec.port),
        DATABASE_URL: database.DATABASE_URL ?? embedded!.url,
        // One console for the four apps, served by ingest (http://127.0.0.1:3000/console).
        ...(spec.name === 'ingest' ? { CONSOLE_ENABLED: base.CONSOLE_ENABLED ?? 'true' } : {}),
      };
      const app = await spec.create(env, { memoryBroker });
      started.push(app);
      logger.log(`${spec.name} listening on ${await app.listen()}`);
    }
    logger.log('all apps ready; Ctrl-C stops them');
  } catch (error) {
    for (const app of [...started].reverse()) await app.app.close().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
}

function once<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  let running: Promise<void> | undefined;
  return (...args: A) => (running ??= fn(...args));
}

main().catch((error: unknown) => {
  console.error(isStartupRefusal(error) ? error.message : error);
  process.exit(1);
});
