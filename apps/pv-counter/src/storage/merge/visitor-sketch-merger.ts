import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { ShutdownCoordinator } from '@lib/lifecycle';
import { METRICS_REGISTRY } from '@lib/observability';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { mergeInBatches, MergeSchedule } from './merge-schedule';
import { sketchMergeConfig } from './sketch-merge.config';
import { createSketchMergeMetrics, type SketchMergeMetrics } from './sketch-merge.metrics';
import { mergeVisitorSketches } from './visitor-sketches.writer';
import { PAGE_VISITOR_UPDATES, takeVisitorUpdates } from './visitor-updates.store';

/**
 * Rows of `page_visitor_updates` (one per flush and shard) per merge transaction: enough that a
 * merge after a backlog rewrites each busy page's sketch once for many flushes, few enough that
 * one transaction's memory and locks stay small (a flush's rows are about 4 bytes per view).
 */
export const ROWS_PER_MERGE = 256;

/**
 * Merges the visitors that flushes recorded in `page_visitor_updates` into the sketches of
 * `page_visitors_daily`: each page once per SKETCH_MERGE_INTERVAL_MS, one shard of the pages per
 * tenth of it (MergeSchedule), each batch of rows in one transaction
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
  private readonly schedule: MergeSchedule;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(sketchMergeConfig.token) private readonly config: ConfigOf<typeof sketchMergeConfig>,
    private readonly shutdown: ShutdownCoordinator,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = createSketchMergeMetrics(registry);
    this.schedule = new MergeSchedule(
      {
        what: 'sketch merge',
        waiting: 'the visitors',
        intervalMs: () => this.config.SKETCH_MERGE_INTERVAL_MS,
        mergeAll: (deadline, shard) => this.mergeAll(deadline, shard),
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.schedule.start(this.shutdown);
  }

  /**
   * Merges everything waiting, one transaction per {@link ROWS_PER_MERGE} rows, starting no new
   * transaction after `deadline` (epoch ms); returns the rows read.
   */
  mergeAll(deadline = Infinity, shard?: number): Promise<number> {
    return mergeInBatches(deadline, async () => {
      const read = await this.mergeOnce(shard);
      return { read, more: read >= ROWS_PER_MERGE };
    });
  }

  /**
   * One transaction: takes up to {@link ROWS_PER_MERGE} rows and merges them; returns how many
   * rows it read (merged, or rejected because they do not decode: those are reported once and
   * skipped from then on).
   */
  async mergeOnce(shard?: number): Promise<number> {
    const taken = await this.metrics.timed(
      () =>
        this.dataSource.transaction(async (manager) => {
          const runner = manager.queryRunner!;
          const batch = await takeVisitorUpdates(runner, ROWS_PER_MERGE, this.rejected, shard);
          await mergeVisitorSketches(runner, batch.entries);
          return batch;
        }),
      (batch) => ({ rows: batch.taken, keys: batch.entries.length }),
    );
    for (const { id, reason } of taken.rejected) {
      this.rejected.add(id);
      this.logger.error(
        `${PAGE_VISITOR_UPDATES} row ${id} does not decode (${reason}): left in the table and skipped, ` +
          'its visitors are not merged; delete it once it has been looked at',
      );
    }
    this.metrics.rejected(taken.rejected.length);
    return taken.read;
  }

  /** Stops the schedule, lets a merge in progress finish, then merges what is left. Idempotent. */
  stop(): Promise<void> {
    return this.schedule.stop();
  }
}
