import { Logger } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import type { EventPublisher } from '@lib/queue';
import { join } from 'node:path';
import type { FileSpoolOptions } from './file-spool.options';
import type { spoolConfig } from './spool.config';
import type { SpoolModuleOptions } from './spool.module-definition';
import { SpoolingPublisher, type SpoolingPublisherOptions } from './spooling-publisher';

/** A name is a directory name too: no separators, no dot-dot. */
const SPOOL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

/** The spool and publisher settings of one named spool: module options over environment. */
export function spoolSettings(
  config: ConfigOf<typeof spoolConfig>,
  options: SpoolModuleOptions,
  appName?: string,
): { spool: FileSpoolOptions; publisher: SpoolingPublisherOptions } {
  if (!SPOOL_NAME.test(options.name)) {
    throw new Error(`spool name ${JSON.stringify(options.name)} must match ${SPOOL_NAME}`);
  }
  return {
    spool: {
      directory: options.directory ?? join(config.DATA_DIR, 'spool', options.name),
      maxBytes: options.maxBytes ?? config.SPOOL_MAX_BYTES,
      segmentBytes: Math.min(
        config.SPOOL_SEGMENT_BYTES,
        options.maxBytes ?? config.SPOOL_MAX_BYTES,
      ),
      fullPolicy: options.fullPolicy ?? config.SPOOL_FULL_POLICY,
      blockTimeoutMs: config.SPOOL_BLOCK_TIMEOUT_MS,
    },
    publisher: {
      name: options.name,
      breaker: {
        timeoutMs: config.BREAKER_TIMEOUT_MS,
        resetMs: config.BREAKER_RESET_MS,
        errorPercent: config.BREAKER_ERROR_PERCENT,
        volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      },
      ackTimeoutMs: config.PUBLISH_ACK_TIMEOUT_MS,
      drain: options.drain,
      closeInner: options.closeInner,
      // Apps may share a process (npm start): the app's name goes into the context.
      logger: new Logger(appName ? `${appName} spool ${options.name}` : `spool ${options.name}`),
    },
  };
}

/** Opens the named spool (recovering an earlier run's) and wraps the app's EventPublisher. */
export function createSpoolingPublisher(
  config: ConfigOf<typeof spoolConfig>,
  options: SpoolModuleOptions,
  inner: EventPublisher,
  appName?: string,
): Promise<SpoolingPublisher> {
  const settings = spoolSettings(config, options, appName);
  return SpoolingPublisher.open(inner, settings.spool, settings.publisher);
}
