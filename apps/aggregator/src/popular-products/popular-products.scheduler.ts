import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { ConfigOf } from '@lib/config';
import { ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import { CronJob } from 'cron';
import { ExportAbortedError, ExportInProgressError } from './popular-products.errors';
import { popularProductsConfig } from './popular-products.config';
import { PopularProductsExport } from './popular-products.export';
import { todayUtc } from '@lib/contracts';

/** Name of the job in the SchedulerRegistry. */
export const POPULAR_PRODUCTS_JOB = 'popular-products-export';

/**
 * Runs the export for today (UTC) on `POPULAR_PRODUCTS_CRON`. The expression comes from config,
 * so the job is built here and added to the SchedulerRegistry rather than declared with `@Cron`.
 * Shutdown: the schedule stops with intake (phase StopIntake), and a running export finishes its
 * page and stops in phase Drain, before publishers and the database close.
 */
@Injectable()
export class PopularProductsScheduler implements OnApplicationBootstrap {
  private readonly logger = new Logger('popular-products schedule');
  private job?: CronJob;

  constructor(
    @Inject(popularProductsConfig.token)
    private readonly config: ConfigOf<typeof popularProductsConfig>,
    private readonly registry: SchedulerRegistry,
    private readonly exporter: PopularProductsExport,
    private readonly coordinator: ShutdownCoordinator,
  ) {}

  onApplicationBootstrap(): void {
    const job = CronJob.from({
      cronTime: this.config.POPULAR_PRODUCTS_CRON,
      onTick: () => this.tick(),
      timeZone: 'UTC',
      // A tick that comes while the previous run is still going is skipped, not queued.
      waitForCompletion: true,
      start: false,
    });
    this.registry.addCronJob(POPULAR_PRODUCTS_JOB, job);
    this.job = job;
    this.coordinator.register({
      name: 'popular-products schedule',
      phase: ShutdownPhase.StopIntake,
      run: () => this.stopSchedule(),
    });
    this.coordinator.register({
      name: 'popular-products export (current run)',
      phase: ShutdownPhase.Drain,
      run: () => this.exporter.stop(),
    });
    job.start();
  }

  private stopSchedule(): void {
    this.exporter.abort();
    // With waitForCompletion, stop() resolves only when a running tick ends; the Drain phase
    // waits for that run, so intake is not held up here.
    void this.job?.stop()?.catch(() => undefined);
  }

  /** One scheduled run; failures are logged (the next tick, or a manual run, resumes). */
  private async tick(): Promise<void> {
    try {
      await this.exporter.run(todayUtc());
    } catch (error) {
      if (error instanceof ExportInProgressError) this.logger.log(`skipped: ${error.message}`);
      else if (error instanceof ExportAbortedError) this.logger.warn(error.message);
      else this.logger.error(`scheduled run failed: ${(error as Error).message}`);
    }
  }
}
