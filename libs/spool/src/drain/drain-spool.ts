import type { LoggerService } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { EventPublisher, type OutgoingMessage } from '@lib/queue';
import { setTimeout as sleep } from 'node:timers/promises';
import type { spoolConfig } from '../spool.config';
import { SpoolingPublisher } from '../spooling-publisher';
import type { FoundSpool } from './spool-directories';
import { SpoolDrainTimeoutError } from './spool-drain.errors';

/** How often the drain looks at the spool's depth. */
const POLL_MS = 100;

/** What draining one spool needs. */
export interface DrainSpoolOptions {
  readonly spool: FoundSpool;
  readonly config: ConfigOf<typeof spoolConfig>;
  /** Epoch ms after which the drain gives up. */
  readonly deadline: number;
  /** SPOOL_DRAIN_TIMEOUT_MS, for the message. */
  readonly timeoutMs: number;
  readonly logger: LoggerService;
}

/** How many events one spool held and replayed. */
export interface DrainedSpool {
  readonly name: string;
  readonly replayed: number;
}

/**
 * Replays one spool to the broker and closes it once it is empty. The spool is opened as the
 * app opens it (its lock refuses a directory another live process holds) behind the app's own
 * SpoolingPublisher, whose drainer replays in order, publishes with the broker's ack and deletes
 * replayed segments; nothing is appended. Throws SpoolDrainTimeoutError, naming the broker's last
 * error, when events are still waiting at the deadline; they stay on disk, in order.
 */
export async function drainSpool(
  inner: EventPublisher,
  options: DrainSpoolOptions,
): Promise<DrainedSpool> {
  const { spool, config, logger } = options;
  const watched = new ErrorWatchingPublisher(inner);
  const publisher = await SpoolingPublisher.open(
    watched,
    {
      directory: spool.directory,
      maxBytes: config.SPOOL_MAX_BYTES,
      segmentBytes: config.SPOOL_SEGMENT_BYTES,
    },
    {
      name: spool.name,
      breaker: {
        timeoutMs: config.BREAKER_TIMEOUT_MS,
        resetMs: config.BREAKER_RESET_MS,
        errorPercent: config.BREAKER_ERROR_PERCENT,
        volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
      },
      logger,
    },
  );
  const held = publisher.stats().depth;
  try {
    while (publisher.stats().depth > 0) {
      if (Date.now() >= options.deadline) {
        const last = watched.lastError ? `: ${watched.lastError}` : '';
        throw new SpoolDrainTimeoutError(
          `spool ${spool.name}: ${publisher.stats().depth} of ${held} events still waiting after ` +
            `SPOOL_DRAIN_TIMEOUT_MS=${options.timeoutMs}; the broker did not take them${last}`,
        );
      }
      await sleep(POLL_MS);
    }
  } finally {
    // Stops the drainer after its batch in flight and retires the replayed segment.
    await publisher.close();
  }
  return { name: spool.name, replayed: publisher.stats().replayed };
}

/** Passes publishes through and keeps the last failure's message for the timeout line. */
class ErrorWatchingPublisher extends EventPublisher {
  lastError?: string;

  constructor(private readonly inner: EventPublisher) {
    super();
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    try {
      await this.inner.publish(messages);
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : String(error);
      throw error;
    }
  }

  isConnected(): boolean {
    return this.inner.isConnected();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
