import type { Logger } from '@nestjs/common';
import { ShutdownPhase, type ShutdownCoordinator } from '@lib/lifecycle';
import { backoffDelay } from '@lib/work-queue';
import { MERGE_SHARDS } from './merge-shards';

/** Longest wait between attempts while merges fail. */
const MAX_BACKOFF_MS = 30_000;
/**
 * How long the merge at shutdown may keep going: a large backlog is left for the next start
 * rather than holding up the rest of the shutdown (the rows it merges are durable).
 */
export const FINAL_MERGE_MS = 5_000;

/**
 * Runs `once` (one merge transaction) until it reports nothing more waiting or `deadline` (epoch
 * ms) has passed, whichever comes first; returns the rows it read in all.
 */
export async function mergeInBatches(
  deadline: number,
  once: () => Promise<{ readonly read: number; readonly more: boolean }>,
): Promise<number> {
  let total = 0;
  for (;;) {
    const { read, more } = await once();
    total += read;
    if (!more || Date.now() >= deadline) return total;
  }
}

/** What a {@link MergeSchedule} runs. */
export interface ScheduledMerge {
  /** Shown in the logs: "merge of …". */
  readonly what: string;
  /** What waits while merges fail, for the logs: "… wait for the next one". */
  readonly waiting: string;
  /** How often each page is merged: one shard is merged every intervalMs() / MERGE_SHARDS. */
  intervalMs(): number;
  /**
   * Merges everything waiting in `shard` (see merge-shards), or in every shard when it is
   * undefined, starting no new transaction after `deadline` (epoch ms).
   */
  mergeAll(deadline: number, shard?: number): Promise<unknown>;
}

/**
 * Runs a merge of rows that flushes left behind: every interval / MERGE_SHARDS it merges the next
 * shard in turn, so each page is merged once per interval and the work arrives in even slices
 * (one burst per interval took a core from the flushes for up to two seconds). While merges fail
 * it retries the same shard with backoff (doubling from the tick up to 30 s); at stop() it merges
 * every shard once more, with a deadline. One per merge: pv-counter's view counts
 * (ViewCountMerger) and visitor sketches (VisitorSketchMerger).
 */
export class MergeSchedule {
  private next = 0;
  private stopped = false;
  private failures = 0;
  private wake?: () => void;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    private readonly merge: ScheduledMerge,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the schedule (idempotent) and has `shutdown` stop it after the work queues' final
   * flush (phase Flush) and before the database closes (CloseDatabase).
   */
  start(shutdown: ShutdownCoordinator): void {
    if (this.loop !== undefined) return;
    shutdown.register({
      name: this.merge.what,
      phase: ShutdownPhase.CloseBrokers,
      run: () => this.stop(),
    });
    this.loop = this.run();
  }

  /** Stops the schedule, lets a merge in progress finish, then merges what is left. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    try {
      await this.merge.mergeAll(Date.now() + FINAL_MERGE_MS);
    } catch (error) {
      this.logger.warn(
        `final ${this.merge.what} failed, the rest is merged after the next start: ${String(error)}`,
      );
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const tick = Math.max(1, Math.floor(this.merge.intervalMs() / MERGE_SHARDS));
      await this.sleep(
        // Doubling from the tick after each failure: the tick once merges succeed.
        backoffDelay(this.failures + 1, { initialMs: tick, factor: 2, maxMs: MAX_BACKOFF_MS }),
      );
      if (this.stopped) return;
      try {
        await this.merge.mergeAll(Infinity, this.next);
        this.next = (this.next + 1) % MERGE_SHARDS;
        if (this.failures > 0)
          this.logger.log(
            `${this.merge.what} succeeds again after ${this.failures} failed attempts`,
          );
        this.failures = 0;
      } catch (error) {
        this.failures++;
        if (this.failures <= 2 || this.failures % 20 === 0)
          this.logger.warn(
            `${this.merge.what} failed (attempt ${this.failures}), ${this.merge.waiting} wait for the next one: ${String(error)}`,
          );
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
