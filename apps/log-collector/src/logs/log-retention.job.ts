import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_NAME, type ConfigOf } from '@lib/config';
import { ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import {
  daysFrom,
  dayOf,
  partitionWindow,
  DAYS_AHEAD,
  addDays,
  type DayKey,
} from './day-partitions';
import { LogPartitions } from './log-partitions';
import { logsConfig } from './logs.config';

/** What one retention run did. */
export interface RetentionResult {
  created: DayKey[];
  dropped: DayKey[];
  defaultRowsDeleted: number;
}

/**
 * Rolls the day partitions: creates today's and the next {@link DAYS_AHEAD} days', drops those
 * older than `LOG_RETENTION_DAYS` and deletes default-partition rows as old. Runs at start-up and
 * every `LOG_RETENTION_INTERVAL_MS`. A plain timer rather than @nestjs/schedule: it has to stop in
 * the shutdown coordinator's order, and tests call {@link run} directly with their own clock.
 */
@Injectable()
export class LogRetentionJob implements OnApplicationBootstrap {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;
  private running?: Promise<RetentionResult>;
  private stopped = false;

  constructor(
    private readonly partitions: LogPartitions,
    @Inject(logsConfig.token) private readonly config: ConfigOf<typeof logsConfig>,
    private readonly coordinator: ShutdownCoordinator,
    @Inject(APP_NAME) appName: string,
  ) {
    this.logger = new Logger(`${appName} log retention`);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.coordinator.register({
      name: 'log retention',
      phase: ShutdownPhase.StopIntake,
      run: () => this.stop(),
    });
    // At once, so today's partition exists before the first record arrives; a failure is not
    // fatal (inserts create missing partitions themselves), the next run tries again.
    await this.run().catch((error: unknown) =>
      this.logger.warn(`retention failed, will try again: ${String(error)}`),
    );
    this.schedule();
  }

  /** One pass at `now`; concurrent calls share the pass in progress. */
  run(now: Date = new Date()): Promise<RetentionResult> {
    this.running ??= this.pass(now).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.run()
        .catch((error: unknown) =>
          this.logger.warn(`retention failed, will try again: ${String(error)}`),
        )
        .finally(() => this.schedule());
    }, this.config.LOG_RETENTION_INTERVAL_MS);
    this.timer.unref(); // never the reason a process stays up
  }

  private async pass(now: Date): Promise<RetentionResult> {
    const { first } = partitionWindow(now, this.config.LOG_RETENTION_DAYS);
    const today = dayOf(now);
    const created = await this.partitions.ensure(daysFrom(today, addDays(today, DAYS_AHEAD)));
    const { dropped, defaultRowsDeleted } = await this.partitions.dropBefore(first);
    if (dropped.length > 0 || created.length > 0 || defaultRowsDeleted > 0) {
      this.logger.log(
        `partitions created: ${created.join(', ') || 'none'}; dropped: ${dropped.join(', ') || 'none'}; ` +
          `old rows deleted from the default partition: ${defaultRowsDeleted}`,
      );
    }
    return { created, dropped, defaultRowsDeleted };
  }
}
