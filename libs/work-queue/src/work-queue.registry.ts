import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ENV, type ConfigOf, type Env } from '@lib/config';
import {
  ReadinessRegistry,
  ShutdownCoordinator,
  ShutdownPhase,
  StatusRegistry,
} from '@lib/lifecycle';
import { METRICS_REGISTRY } from '@lib/observability';
import { CONSUMER_GROUP, ConsumerControl, queueConfig } from '@lib/queue';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { BatchingWorkQueue, type WorkQueueHandle } from './batching-work-queue';
import type { BatchShape } from './buffer/batch-shape';
import { DedupeRetentionJob } from './dedupe/dedupe-retention.job';
import { OffsetLedger } from './offsets/offset-ledger';
import { StreamPauser } from './stream-pauser';
import { workQueueConfig } from './work-queue.config';
import { WorkQueueConfigError } from './work-queue.errors';
import { WorkQueueHealthIndicator } from './work-queue.health';
import { createQueueMetrics } from './work-queue.metrics';
import { WorkQueueStatusRecorder } from './work-queue.status';
import {
  WORK_QUEUE_MODULE_OPTIONS,
  type WorkQueueModuleOptions,
} from './work-queue.module-definition';
import type {
  AggregateQueueOptions,
  AppendQueueOptions,
  WorkQueueCommonOptions,
} from './work-queue.options';
import { resolveSettings, type WorkQueueDefaults } from './work-queue.settings';

/**
 * Creates an app's named work queues and wires each to readiness (`work-queue:<name>`),
 * metrics, backpressure and the shutdown: in phase Flush every queue makes its final flush, so
 * pending add()s resolve before the database closes in phase CloseDatabase.
 */
@Injectable()
export class WorkQueueRegistry implements OnModuleInit {
  private readonly queues = new Map<string, WorkQueueHandle>();
  private readonly defaults: WorkQueueDefaults;
  private readonly pauser: StreamPauser;
  private readonly retention: DedupeRetentionJob;

  constructor(
    @Inject(WORK_QUEUE_MODULE_OPTIONS) options: WorkQueueModuleOptions,
    @Inject(workQueueConfig.token) config: ConfigOf<typeof workQueueConfig>,
    @Inject(CONSUMER_GROUP) group: string,
    @Inject(ENV) env: Env,
    private readonly dataSource: DataSource,
    private readonly ledger: OffsetLedger,
    private readonly readiness: ReadinessRegistry,
    private readonly coordinator: ShutdownCoordinator,
    private readonly health: WorkQueueHealthIndicator,
    @Inject(METRICS_REGISTRY) private readonly metrics: Registry,
    consumerControl: ConsumerControl,
    private readonly status: StatusRegistry,
  ) {
    this.defaults = {
      group,
      flushIntervalMs: config.FLUSH_INTERVAL_MS ?? options.defaultFlushIntervalMs,
      highWatermark: config.WORK_QUEUE_HIGH_WATERMARK,
      lowWatermark: config.WORK_QUEUE_LOW_WATERMARK,
      trackOffsets: options.trackOffsets ?? queueConfig.load(env).BROKER === 'kafka',
    };
    this.pauser = new StreamPauser(() => consumerControl, new Logger('work-queue backpressure'));
    this.retention = new DedupeRetentionJob(dataSource, () => this.dedupeScopes(), {
      retentionHours: config.DEDUPE_RETENTION_HOURS,
      intervalMs: options.retentionIntervalMs,
    });
  }

  onModuleInit(): void {
    this.coordinator.register({
      name: 'work queues (final flush)',
      phase: ShutdownPhase.Flush,
      run: () => this.closeAll(),
    });
    this.retention.start();
  }

  /** A queue that merges events by key into aggregates (e.g. views per day and page). */
  aggregate<TEvent, TAgg>(
    options: AggregateQueueOptions<TEvent, TAgg>,
  ): BatchingWorkQueue<TEvent, TAgg> {
    return this.create(
      { keyOf: options.keyOf, valueOf: options.valueOf, merge: options.merge },
      options,
    );
  }

  /** A queue of rows written in arrival order (e.g. log lines). */
  append<TEvent, TRow>(options: AppendQueueOptions<TEvent, TRow>): BatchingWorkQueue<TEvent, TRow> {
    return this.create({ valueOf: options.rowOf }, options);
  }

  /** The queue called `name`, if created. */
  get(name: string): WorkQueueHandle | undefined {
    return this.queues.get(name);
  }

  /** Deletes processed event ids past the retention window now (it also runs on a timer). */
  runRetention(): Promise<number> {
    return this.retention.runOnce();
  }

  /** Final flush of every queue, then stops retention; the shutdown's Flush phase calls it. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    await this.retention.stop();
  }

  private create<TEvent, TOut>(
    shape: BatchShape<TEvent, TOut>,
    options: WorkQueueCommonOptions<TOut>,
  ): BatchingWorkQueue<TEvent, TOut> {
    if (this.queues.has(options.name))
      throw new WorkQueueConfigError(`work queue ${options.name} exists already`);
    const settings = resolveSettings(options as WorkQueueCommonOptions<unknown>, this.defaults);
    const recorder = new WorkQueueStatusRecorder();
    const queue = new BatchingWorkQueue(shape, options.write, settings, {
      dataSource: this.dataSource,
      ledger: this.ledger,
      pauser: this.pauser,
      metrics: recorder.wrap(createQueueMetrics(this.metrics, settings.name)),
    });
    this.readiness.register(`work-queue:${settings.name}`, () => this.health.check(queue));
    this.status.register(`workQueues.${settings.name}`, () => recorder.status(queue));
    this.queues.set(settings.name, queue);
    return queue;
  }

  private dedupeScopes(): string[] {
    return [...this.queues.values()]
      .filter((q) => q.settings.dedupe)
      .map((q) => q.settings.dedupeScope);
  }
}
