import { DEFAULT_FLUSH_BACKOFF, type BackoffPolicy } from './backoff';
import { WorkQueueConfigError } from './work-queue.errors';
import type { WorkQueueCommonOptions } from './work-queue.options';

/** Defaults a queue takes from its module (config and app), unless its options say otherwise. */
export interface WorkQueueDefaults {
  /** Consumer group: owner of the stored offsets, prefix of the de-duplication scope. */
  readonly group: string;
  readonly flushIntervalMs: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly trackOffsets: boolean;
}

/** A queue's effective settings. */
export interface WorkQueueSettings {
  readonly name: string;
  readonly group: string;
  /** processed_events.group_id of this queue: per queue, so two queues on one stream both apply an event. */
  readonly dedupeScope: string;
  readonly flushIntervalMs: number;
  readonly flushAtSize: number;
  readonly highWatermark: number;
  readonly lowWatermark: number;
  readonly dedupe: boolean;
  readonly trackOffsets: boolean;
  readonly flushTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly backoff: BackoffPolicy;
}

const DEFAULT_FLUSH_AT_SIZE = 10_000;
const DEFAULT_FLUSH_TIMEOUT_MS = 10_000;
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Fills a queue's options from the defaults and checks they fit together. */
export function resolveSettings(
  options: WorkQueueCommonOptions<unknown>,
  defaults: WorkQueueDefaults,
): WorkQueueSettings {
  const highWatermark = options.highWatermark ?? defaults.highWatermark;
  const lowWatermark = options.lowWatermark ?? Math.min(defaults.lowWatermark, highWatermark - 1);
  if (!options.name) throw new WorkQueueConfigError('a work queue needs a name');
  if (!(lowWatermark >= 0 && lowWatermark < highWatermark)) {
    throw new WorkQueueConfigError(
      `work queue ${options.name}: low watermark ${lowWatermark} must be below the high watermark ${highWatermark}`,
    );
  }
  // A flush must start well before the buffer reaches the high watermark, or a healthy
  // database would still see the stream paused at every burst.
  const flushAtSize = Math.max(
    1,
    Math.min(options.flushAtSize ?? DEFAULT_FLUSH_AT_SIZE, Math.floor(highWatermark / 2)),
  );
  return {
    name: options.name,
    group: defaults.group,
    dedupeScope: `${defaults.group}/${options.name}`,
    flushIntervalMs: options.flushIntervalMs ?? defaults.flushIntervalMs,
    flushAtSize,
    highWatermark,
    lowWatermark,
    dedupe: options.dedupe ?? true,
    trackOffsets: options.trackOffsets ?? defaults.trackOffsets,
    flushTimeoutMs: options.flushTimeoutMs ?? DEFAULT_FLUSH_TIMEOUT_MS,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    backoff: options.backoff ?? DEFAULT_FLUSH_BACKOFF,
  };
}
