import type { DeadLetterAdmin } from './dead-letters';

/** How long a count of dead letters is reused before a scrape asks the broker again. */
export const DEAD_LETTER_DEPTH_MAX_AGE_MS = 15_000;
/** A scrape waits at most this long for a refresh; it runs on and the next scrape sees it. */
export const DEAD_LETTER_DEPTH_WAIT_MS = 2_000;

/**
 * Dead letters per stream for `queue_dead_letters`, counted with one cheap call per stream
 * ({@link DeadLetterAdmin.depth}) at most every `maxAgeMs`, so frequent scrapes cost the broker
 * nothing extra. A stream whose count fails keeps its last value; one never counted is absent.
 */
export class DeadLetterDepths {
  private readonly depths = new Map<string, number>();
  private refreshedAt = -Infinity;
  private refreshing?: Promise<void>;

  constructor(
    private readonly admin: DeadLetterAdmin,
    private readonly maxAgeMs = DEAD_LETTER_DEPTH_MAX_AGE_MS,
    private readonly waitMs = DEAD_LETTER_DEPTH_WAIT_MS,
  ) {}

  /** The counts of `streams`, refreshed first when the last refresh is older than `maxAgeMs`. */
  async current(streams: readonly string[]): Promise<ReadonlyMap<string, number>> {
    if (Date.now() - this.refreshedAt > this.maxAgeMs) {
      this.refreshing ??= this.refresh(streams).finally(() => (this.refreshing = undefined));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.refreshing,
        new Promise((resolve) => (timer = setTimeout(resolve, this.waitMs))),
      ]);
      clearTimeout(timer);
    }
    return this.depths;
  }

  private async refresh(streams: readonly string[]): Promise<void> {
    await Promise.all(
      streams.map(async (stream) => {
        try {
          this.depths.set(stream, await this.admin.depth(stream));
        } catch {
          // The broker is unreachable or the topic not there yet: keep the last count.
        }
      }),
    );
    this.refreshedAt = Date.now();
  }
}
