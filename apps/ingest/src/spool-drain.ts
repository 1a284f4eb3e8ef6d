/**
 * `npm run spool:drain`: replays every spool under `DATA_DIR/spool` (ingest's events, the log
 * records) to the configured broker, in order and with the broker's ack, deletes the replayed
 * segments and exits 0 once all are empty. Exits 1 with one line when a spool is held by another
 * live process, when BROKER=memory (no broker outside this process), or when the broker has not
 * taken everything within SPOOL_DRAIN_TIMEOUT_MS (what is left stays on disk, in order).
 * For the PersistentVolumeClaim of a scaled-down ingest ordinal: run it in a Job that mounts the
 * claim at DATA_DIR once that ordinal's pod is gone.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, isStartupRefusal, validateConfigs, type Env } from '@lib/config';
import { lifecycleConfig } from '@lib/lifecycle';
import { createLogger, observabilityConfig } from '@lib/observability';
import { EventPublisher, queueConfig } from '@lib/queue';
import {
  drainSpool,
  findSpools,
  SpoolDrainTimeoutError,
  spoolConfig,
  spoolDrainConfig,
  SpoolLockedError,
} from '@lib/spool';
import { setTimeout as sleep } from 'node:timers/promises';
import { SPOOL_DRAIN_APP, SpoolDrainModule } from './spool-drain.module';

async function main(env: Env): Promise<number> {
  validateConfigs(env, [
    lifecycleConfig,
    observabilityConfig,
    queueConfig,
    spoolConfig,
    spoolDrainConfig,
  ]);
  const { BROKER } = queueConfig.load(env);
  if (BROKER === 'memory') {
    throw new ConfigError(
      'BROKER',
      BROKER,
      'the in-memory broker lives in one process: set BROKER=kafka or rabbitmq to drain a spool',
    );
  }
  const config = spoolConfig.load(env);
  const { SPOOL_DRAIN_TIMEOUT_MS } = spoolDrainConfig.load(env);
  const observability = observabilityConfig.load(env);
  const deadline = Date.now() + SPOOL_DRAIN_TIMEOUT_MS;
  const logger = new Logger(SPOOL_DRAIN_APP);
  const spools = await findSpools(config.DATA_DIR);
  if (spools.length === 0) {
    logger.log(`no spool under ${config.DATA_DIR}/spool: nothing to drain`);
    return 0;
  }
  const app = await NestFactory.createApplicationContext(SpoolDrainModule.register(env), {
    logger: createLogger(observability.LOG_LEVEL, SPOOL_DRAIN_APP, {
      format: observability.LOG_FORMAT,
    }),
    abortOnError: false,
  });
  try {
    const publisher = app.get(EventPublisher, { strict: false });
    // Connect first: a first publish that also waits for the connection could outlast the
    // breaker's timeout and be replayed a second time.
    while (!publisher.isConnected()) {
      if (Date.now() >= deadline) {
        throw new SpoolDrainTimeoutError(
          `the broker (BROKER=${BROKER}) was not reachable within SPOOL_DRAIN_TIMEOUT_MS=` +
            `${SPOOL_DRAIN_TIMEOUT_MS}; ${spools.map((s) => s.name).join(', ')} left as they were`,
        );
      }
      await sleep(100);
    }
    for (const spool of spools) {
      const drained = await drainSpool(publisher, {
        spool,
        config,
        deadline,
        timeoutMs: SPOOL_DRAIN_TIMEOUT_MS,
        logger: new Logger(`${SPOOL_DRAIN_APP} ${spool.name}`),
      });
      logger.log(`spool ${drained.name} drained: ${drained.replayed} events replayed`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

main(process.env).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isStartupRefusal(error) || error instanceof SpoolDrainTimeoutError) {
      console.error(`spool:drain failed: ${error.message}`);
    } else if (error instanceof SpoolLockedError) {
      console.error(`spool:drain refused: ${error.message}; stop that process first`);
    } else {
      console.error('spool:drain failed:', error);
    }
    process.exit(1);
  },
);
