import { defineConfig, enumVar, intVar } from '@lib/config';
import { z } from 'zod';
import { PUBLISH_ACK_TIMEOUT_DEFAULT_MS } from './ack-bound';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** Segment size when SPOOL_SEGMENT_BYTES is unset (smaller when SPOOL_MAX_BYTES is). */
const DEFAULT_SEGMENT_BYTES = 8 * MiB;

/** The spool's size and full policy, and when the publish circuit breaker opens. */
export const spoolConfig = defineConfig(
  'spool',
  z
    .object({
      /** Spools live in `${DATA_DIR}/spool/<name>`. */
      DATA_DIR: z.string().default('./data'),
      /** Cap on the unacknowledged bytes of one spool. */
      SPOOL_MAX_BYTES: intVar(64 * KiB, 1024 * GiB, ' bytes').default(GiB),
      /** At the cap: `reject` (publish fails, ingest answers 503) or `block` (wait for room). */
      SPOOL_FULL_POLICY: enumVar(['reject', 'block'] as const).default('reject'),
      /** How long an append waits for room under `block` before it fails like `reject`. */
      SPOOL_BLOCK_TIMEOUT_MS: intVar(1, 600_000, ' ms').default(5_000),
      /**
       * Size at which a segment file is closed and the next one started. Unset: 8 MiB, or
       * SPOOL_MAX_BYTES when that is smaller (so a small cap alone is a valid configuration).
       */
      SPOOL_SEGMENT_BYTES: intVar(64 * KiB, GiB, ' bytes').optional(),
      /**
       * How long a request waits for the broker's ack before its events are spooled instead (the
       * publish goes on; a late ack keeps the spooled copies from being replayed).
       */
      PUBLISH_ACK_TIMEOUT_MS: intVar(1, 600_000, ' ms').default(PUBLISH_ACK_TIMEOUT_DEFAULT_MS),
      /** A publish slower than this counts as failed for the breaker; also bounds each replay. */
      BREAKER_TIMEOUT_MS: intVar(1, 600_000, ' ms').default(5_000),
      /** How long the breaker stays open before one probe publish. */
      BREAKER_RESET_MS: intVar(1, 3_600_000, ' ms').default(5_000),
      /** Failure percentage (rolling 10 s window) that opens the breaker. */
      BREAKER_ERROR_PERCENT: intVar(1, 100, ' %').default(50),
      /** Publishes in the window before the percentage counts, so one early failure does not open it. */
      BREAKER_VOLUME_THRESHOLD: intVar(0, 1_000_000).default(5),
    })
    .superRefine((config, context) => {
      if (
        config.SPOOL_SEGMENT_BYTES !== undefined &&
        config.SPOOL_SEGMENT_BYTES > config.SPOOL_MAX_BYTES
      ) {
        context.addIssue({
          code: 'custom',
          path: ['SPOOL_SEGMENT_BYTES'],
          message: `expected at most SPOOL_MAX_BYTES (${config.SPOOL_MAX_BYTES})`,
        });
      }
    })
    .transform((config) => ({
      ...config,
      SPOOL_SEGMENT_BYTES:
        config.SPOOL_SEGMENT_BYTES ?? Math.min(DEFAULT_SEGMENT_BYTES, config.SPOOL_MAX_BYTES),
    })),
);
