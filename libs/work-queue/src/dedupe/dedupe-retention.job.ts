import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { GENERATION_MS, HOUR_MS } from './dedupe-keys';
import {
  createHourPartition,
  dropHourPartition,
  expireDefaultPartition,
  expiresAt,
  hoursWanted,
  listHours,
} from './dedupe-partitions';

const FIRST_RUN_DELAY_MS = 5_000;

/** How retention runs. */
export interface RetentionOptions {
  /** Ids are kept at least this many hours past their time (see {@link expiresAt}). */
  readonly retentionHours: number;
  /** Between runs. Default 10 minutes. */
  readonly intervalMs?: number;
  /** The clock; tests move it. */
  readonly now?: () => number;
}

/** What one retention pass did. */
export interface RetentionPass {
  readonly created: number;
  readonly dropped: number;
}

/**
 * Keeps the hour partitions of `dedupe_ids`: creates those of the hours ahead, and drops whole
 * partitions once their range is older than the retention window, so expiry deletes no row. The
 * window must exceed the longest delay from an event's id to its last duplicate (a client's last
 * retry, retry tiers, a spool replay after a long broker outage): a duplicate older than it is
 * applied again. Runs only in apps with a de-duplicating queue.
 */
export class DedupeRetentionJob {
  private readonly logger = new Logger('work-queue retention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetentionPass>;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scopes: () => readonly string[],
    private readonly options: RetentionOptions,
  ) {}

  /**
   * Runs soon (partitions ahead should exist before the first claims; until then keys go to the
   * default partition) and then every interval until stop().
   */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const intervalMs = this.options.intervalMs ?? 600_000;
    const tick = () => {
      void this.runOnce().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs);
      });
    };
    // Queues are created after the registry starts; let them register their scopes first.
    this.timer = setTimeout(tick, Math.min(FIRST_RUN_DELAY_MS, intervalMs));
  }

  /** Stops scheduling and waits for a run in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many partitions were dropped. Failures are logged, not thrown. */
  async runOnce(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return (await this.running).dropped;
  }

  private async pass(): Promise<RetentionPass> {
    if (this.scopes().length === 0) return { created: 0, dropped: 0 };
    const now = (this.options.now ?? Date.now)();
    let created = 0;
    let dropped = 0;
    try {
      const existing = new Set(await listHours(this.dataSource));
      for (const hour of hoursWanted(now)) {
        if (!existing.has(hour) && (await createHourPartition(this.dataSource, hour))) created++;
      }
      for (const hour of existing) {
        if (this.stopped || expiresAt(hour, this.options.retentionHours) > now) continue;
        await dropHourPartition(this.dataSource, hour);
        dropped++;
      }
      const oldestKept = now - this.options.retentionHours * HOUR_MS - GENERATION_MS - HOUR_MS;
      const strays = await expireDefaultPartition(this.dataSource, oldestKept);
      if (strays > 0) this.logger.log(`expired ${strays} ids of the default partition`);
    } catch (error) {
      this.logger.warn(`retention of processed event ids failed, will try again: ${String(error)}`);
    }
    return { created, dropped };
  }
}
