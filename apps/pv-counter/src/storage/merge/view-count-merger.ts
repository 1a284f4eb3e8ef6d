import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { ConfigOf } from '@lib/config';
import { ShutdownCoordinator } from '@lib/lifecycle';
import { METRICS_REGISTRY } from '@lib/observability';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { createMergeMetrics, type MergeMetrics } from './merge-metrics';
import { mergeInBatches, MergeSchedule } from './merge-schedule';
import { viewMergeConfig } from './view-merge.config';
import { mergeViewUpdates } from './view-updates.store';

/** Rows of `page_view_updates` (one per flush, day and shard) one merge transaction takes at most. */
export const VIEW_ROWS_PER_MERGE = 1_000;
/**
 * Page entries one merge transaction takes at most (past its first row): bounds the statement's
 * memory and how long it holds its row locks after a long backlog.
 */
export const VIEW_PAGES_PER_MERGE = 500_000;

/**
 * Adds the views that flushes left in `page_view_updates` to `page_views_daily`: each page once
 * per VIEW_MERGE_INTERVAL_MS, one shard of the pages per tenth of it (MergeSchedule). Each transaction deletes the rows it takes and adds their views summed
 * per page, so a view is either waiting or merged, never both, and a crash loses nothing. Readers
 * add the waiting views (PAGE_VIEWS_LIVE), so the interval delays no count; it sets how often a
 * page's row is rewritten. Every instance runs one: SKIP LOCKED gives each its own rows. On
 * shutdown, after the work queue's final flush, it merges what is left for up to 5 s.
 */
@Injectable()
export class ViewCountMerger implements OnApplicationBootstrap {
  private readonly logger = new Logger('pv-counter view merge');
  private readonly metrics: MergeMetrics;
  private readonly schedule: MergeSchedule;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(viewMergeConfig.token) private readonly config: ConfigOf<typeof viewMergeConfig>,
    private readonly shutdown: ShutdownCoordinator,
    @Inject(METRICS_REGISTRY) registry: Registry,
  ) {
    this.metrics = createMergeMetrics(registry, {
      prefix: 'pv_view_merge',
      durationHelp: 'Time of one merge transaction of flushed views into page_views_daily',
      rowsHelp: 'Rows of page_view_updates (one per flush, day and shard) merged',
      keysHelp: 'Rows of page_views_daily (day and page) inserted or updated by the view merge',
    });
    this.schedule = new MergeSchedule(
      {
        what: 'view merge',
        waiting: 'the views (readable meanwhile)',
        intervalMs: () => this.config.VIEW_MERGE_INTERVAL_MS,
        mergeAll: (deadline, shard) => this.mergeAll(deadline, shard),
      },
      this.logger,
    );
  }

  onApplicationBootstrap(): void {
    this.schedule.start(this.shutdown);
  }

  /**
   * Merges everything waiting (in `shard`, or in every shard), starting no new transaction after
   * `deadline` (epoch ms); returns the rows merged.
   */
  mergeAll(deadline = Infinity, shard?: number): Promise<number> {
    return mergeInBatches(deadline, async () => {
      const { rows, left } = await this.mergeOnce(shard);
      return { read: rows, more: rows >= VIEW_ROWS_PER_MERGE || left > 0 };
    });
  }

  /** One transaction of at most {@link VIEW_ROWS_PER_MERGE} rows and {@link VIEW_PAGES_PER_MERGE} pages (of `shard`, or of any). */
  mergeOnce(shard?: number): Promise<{ rows: number; left: number }> {
    return this.metrics.timed(
      () =>
        this.dataSource.transaction((manager) =>
          mergeViewUpdates(manager.queryRunner!, VIEW_ROWS_PER_MERGE, VIEW_PAGES_PER_MERGE, shard),
        ),
      (result) => result,
    );
  }

  /** Stops the schedule, lets a merge in progress finish, then merges what is left. Idempotent. */
  stop(): Promise<void> {
    return this.schedule.stop();
  }
}
