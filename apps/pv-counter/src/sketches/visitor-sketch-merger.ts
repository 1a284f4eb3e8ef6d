import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import { METRICS_REGISTRY } from '@lib/observability';
import { backoffDelay } from '@lib/work-queue';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { sketchMergeConfig } from './sketch-merge.config';
import { createSketchMergeMetrics, type SketchMergeMetrics } from './sketch-merge.metrics';
import { mergeVisitorSketches } from './visitor-sketches.writer';
import { PAGE_VISITOR_UPDATES, takeVisitorUpdates } from './visitor-updates.store';

/**
 * Rows of `page_visitor_updates` (one per flush) per merge transaction: enough that a merge after
 * a backlog rewrites each busy page's sketch once for many flushes, few enough that one
 * transaction's memory and locks stay small (a flush's row is about 4 bytes per view).
 */
export const ROWS_PER_MERGE = 64;
/** Longest wait between attempts while merges fail. */
const MAX_BACKOFF_MS = 30_000;
/**
 * How long the merge at shutdown may keep going: a large backlog is left for the next start
 * rather than holding up the rest of the shutdown (the rows are durable).
 */
const FINAL_MERGE_MS = 5_000;

/**
 * Merges the visitors that flushes recorded in `page_visitor_updates` into the sketches of
 * `page_visitors_daily`, every SKETCH_MERGE_INTERVAL_MS, each batch of rows in one transaction
 * that deletes them and raises the sketches (so a crash either merges a row or leaves it, and
 * merging a row twice would change nothing anyway). Every instance runs one: SKIP LOCKED gives
 * each its own rows, and sketches are locked in key order. On shutdown, after the work queue's
 * final flush, it merges what is left; what it cannot merge waits for the next start.
 */
@Injectable()
export class VisitorSketchMerger implements OnApplicationBootstrap {
  private readonly logger = new Logger('pv-counter sketch merge');
  private readonly metrics: SketchMergeMetrics;
  /** Ids of rows that do not decode, skipped by this instance's merges. */
  private readonly rejected = new Set<string>();
  private stopped = false;
  private failures = 0;
  private wake?: () => void;
  private loop?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(sketchMergeConfig.token) private readonly config: ConfigOf<typeof sketchMergeConfig>,
    private readonly shutdown: ShutdownCoordinator,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = createSketchMergeMetrics(registry);
  }

  onApplicationBootstrap(): void {
    // After the work queues' final flush (Flush), before the database closes (CloseDatabase).
    this.shutdown.register({
      name: 'sketch merge',
      phase: ShutdownPhase.CloseBrokers,
      run: () => this.stop(),
    });
    this.loop ??= this.run();
  }

  /**
   * Merges everything waiting, one transaction per {@link ROWS_PER_MERGE} rows, starting no new
   * transaction after `deadline` (epoch ms); returns the rows read.
   */
  async mergeAll(deadline = Infinity): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.mergeOnce();
      total += rows;
      if (rows < ROWS_PER_MERGE || Date.now() >= deadline) return total;
    }
  }

  /**
   * One transaction: takes up to {@link ROWS_PER_MERGE} rows and merges them; returns how many
   * rows it read (merged, or rejected because they do not decode: those are reported once and
   * skipped from then on).
   */
  async mergeOnce(): Promise<number> {
    const started = performance.now();
    try {
      const taken = await this.dataSource.transaction(async (manager) => {
        const runner = manager.queryRunner!;
        const batch = await takeVisitorUpdates(runner, ROWS_PER_MERGE, this.rejected);
        await mergeVisitorSketches(runner, batch.entries);
        return batch;
      });
      for (const { id, reason } of taken.rejected) {
        this.rejected.add(id);
        this.logger.error(
          `${PAGE_VISITOR_UPDATES} row ${id} does not decode (${reason}): left in the table and skipped, ` +
            'its visitors are not merged; delete it once it has been looked at',
        );
      }
      this.metrics.merged(
        (performance.now() - started) / 1000,
        'ok',
        taken.taken,
        taken.entries.length,
      );
      this.metrics.rejected(taken.rejected.length);
      return taken.read;
    } catch (error) {
      this.metrics.merged((performance.now() - started) / 1000, 'failed', 0, 0);
      throw error;
    }
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
      await this.mergeAll(Date.now() + FINAL_MERGE_MS);
    } catch (error) {
      this.logger.warn(
        `final merge failed, the rest is merged after the next start: ${String(error)}`,
      );
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const interval = this.config.SKETCH_MERGE_INTERVAL_MS;
      await this.sleep(
        // Doubling from the interval after each failure: the interval once merges succeed.
        backoffDelay(this.failures + 1, { initialMs: interval, factor: 2, maxMs: MAX_BACKOFF_MS }),
      );
      if (this.stopped) return;
      try {
        await this.mergeAll();
        if (this.failures > 0)
          this.logger.log(`merging again after ${this.failures} failed attempts`);
        this.failures = 0;
      } catch (error) {
        this.failures++;
        if (this.failures <= 2 || this.failures % 20 === 0)
          this.logger.warn(
            `merge failed (attempt ${this.failures}), the visitors wait for the next one: ${String(error)}`,
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
