import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource } from 'typeorm';
import { deleteProcessedBefore } from './processed-events';

const FIRST_RUN_DELAY_MS = 60_000;

/** How retention runs. */
export interface RetentionOptions {
  /** Ids older than this many hours are deleted. */
  readonly retentionHours: number;
  /** Between runs. Default 10 minutes. */
  readonly intervalMs?: number;
  /** Rows per DELETE: small, so each statement holds few locks and little WAL. Default 1000. */
  readonly batchSize?: number;
  /** Pause between batches, so retention never competes with flushes for long. Default 10 ms. */
  readonly pauseMs?: number;
}

/**
 * Deletes processed event ids older than the retention window, per de-duplication scope, in
 * small batches. The window must exceed the longest redelivery delay (retry tiers, a spool
 * replay after a long broker outage): a duplicate older than it is applied again.
 */
export class DedupeRetentionJob {
  private readonly logger = new Logger('work-queue retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: () => readonly string[],
    private readonly options: RetentionOptions,
  ) {}

  /** Runs soon (within a minute, not at once: start-up is busy enough) and then every interval until stop(). */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const intervalMs = this.options.intervalMs ?? 600_000;
    const tick = () => {
      void this.runOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, Math.min(FIRST_RUN_DELAY_MS, intervalMs));
  }

  /** Stops scheduling and waits for a run in progress (its remaining batches are skipped). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every scope; returns how many ids were deleted. Failures are logged, not thrown. */
  runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<number> {
    const batchSize = this.options.batchSize ?? 1_000;
    const runner = this.dataSource.createQueryRunner();
    let deleted = 0;
    try {
      for (const scope of this.scopes()) {
        for (;;) {
          const count = await deleteProcessedBefore(
            runner,
            scope,
            this.options.retentionHours,
            batchSize,
          );
          deleted += count;
          if (count < batchSize || this.stopped) break;
          await sleep(this.options.pauseMs ?? 10);
        }
      }
    } catch (error) {
      this.logger.warn(`retention of processed event ids failed, will try again: ${String(error)}`);
    } finally {
      await runner.release();
    }
    return deleted;
  }
}
