import { Logger, type LoggerService } from '@nestjs/common';
import type { StreamConsumerStatus } from '../consumer-control';
import type { ConsumerMetrics } from './consumer-metrics';
import { dueAtOf, type RawMessage } from './envelope';
import type { FailureHandler } from './failure-handler';
import type { TopicRoute } from './log-routes';
import { PartitionPipeline } from './partition-pipeline';

/** A committed position: the next offset to read of one partition. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What a log broker (Kafka, memory) does for the {@link LogConsumer}. */
export interface LogConsumerAdapter {
  /** Stops fetching the partition; records already offered still finish. */
  pause(topic: string, partition: number): void;
  /** Fetches the partition again from the record after the last one taken. */
  resume(topic: string, partition: number): void;
  /** Commits next-offsets; resolves once the broker stored them. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
}

/** Options of {@link LogConsumer}. */
export interface LogConsumerOptions {
  readonly transport: string;
  /** Records read and not finished per partition before the partition is paused. */
  readonly maxInFlight: number;
  /** How long finished offsets may wait before a commit; 0 commits after every finished record. */
  readonly commitIntervalMs: number;
  readonly failures: (route: TopicRoute) => FailureHandler;
  readonly metrics?: ConsumerMetrics;
  readonly logger?: LoggerService;
}

/** Why a partition is paused; it fetches again only when no reason is left. */
const enum Pause {
  User = 1,
  Window = 2,
  Due = 4,
  Stop = 8,
}

/** One consumed partition: its pipeline and why it is paused. */
export class PartitionState {
  flags = 0;
  dueTimer?: NodeJS.Timeout;
  windowCheck?: NodeJS.Immediate;
  /** The end of the log as last seen (Kafka high watermark), for the lag. */
  highWatermark = -1;
  /** The offset after the last record taken. */
  fetched = -1;

  constructor(
    readonly route: TopicRoute,
    readonly partition: number,
    readonly pipeline: PartitionPipeline,
  ) {}
}

/**
 * The consumer side shared by the log brokers (Kafka and the in-memory broker): one
 * {@link PartitionPipeline} per partition, the bounded in-flight window (a full window pauses the
 * partition, which resumes below half of it), retry topics that pause until their head record is
 * due (never sleeping inside a handler), user pauses (ConsumerControl), stop-intake, drain and
 * batched, serialised commits of the finished prefix of every partition.
 */
export class LogConsumer {
  private readonly states = new Map<string, PartitionState>();
  private readonly userPaused = new Set<string>();
  private readonly failureHandlers = new Map<string, FailureHandler>();
  private readonly logger: LoggerService;
  private readonly lowWatermark: number;
  private stopped = false;
  private commitTimer?: NodeJS.Timeout;
  private committing: Promise<void> = Promise.resolve();

  constructor(
    private readonly routes: ReadonlyMap<string, TopicRoute>,
    private readonly adapter: LogConsumerAdapter,
    private readonly options: LogConsumerOptions,
  ) {
    this.logger = options.logger ?? new Logger(`${options.transport} consumer`);
    this.lowWatermark = Math.floor(options.maxInFlight / 2);
  }

  /** The topics to subscribe to. */
  topics(): string[] {
    return [...this.routes.keys()];
  }

  /** The state of a partition of a consumed topic (created on first use); undefined for other topics. */
  state(topic: string, partition: number): PartitionState | undefined {
    const id = `${topic}\u0000${partition}`;
    const existing = this.states.get(id);
    if (existing) return existing;
    const route = this.routes.get(topic);
    if (!route) return undefined;
    let failures = this.failureHandlers.get(topic);
    if (!failures) {
      failures = this.options.failures(route);
      this.failureHandlers.set(topic, failures);
    }
    const pipeline = new PartitionPipeline({
      binding: route.binding,
      failures,
      transport: this.options.transport,
      metrics: this.options.metrics,
      onFinished: () => this.finished(created),
    });
    const created = new PartitionState(route, partition, pipeline);
    this.states.set(id, created);
    if (this.stopped) this.setFlag(created, Pause.Stop);
    if (this.userPaused.has(route.stream)) this.setFlag(created, Pause.User);
    return created;
  }

  /**
   * Offers the next record of a partition (memory broker: records are read one by one). Returns
   * false, taking nothing, while the partition is paused, or when the record is a retry that is not
   * due yet (the partition then pauses until it is); the caller stops there and reads the record
   * again after the resume. A full window pauses the partition at once.
   */
  offer(state: PartitionState, raw: RawMessage): boolean {
    if (state.flags !== 0 || !this.take(state, raw)) return false;
    if (state.pipeline.inFlight >= this.options.maxInFlight) this.setFlag(state, Pause.Window);
    return true;
  }

  /**
   * Kafka: whether to take a fetched batch at all. False while the partition is paused or its
   * window is full; the batch is then dropped unresolved (and fetched again after the resume).
   */
  startBatch(state: PartitionState): boolean {
    if (state.flags !== 0) return false;
    if (state.pipeline.inFlight < this.options.maxInFlight) return true;
    this.setFlag(state, Pause.Window);
    return false;
  }

  /**
   * Kafka: offers a record of a batch that {@link startBatch} accepted. The rest of a decoded
   * batch is taken even past the window (dropping decoded records to fetch them again costs more
   * than the window saves); only a retry that is not due, or stop-intake, ends the batch early.
   */
  offerFetched(state: PartitionState, raw: RawMessage, offset?: string): boolean {
    return !(state.flags & (Pause.Due | Pause.Stop)) && this.take(state, raw, offset);
  }

  /**
   * Kafka: after a batch, pauses the partition if its window is still full once the handlers had a
   * turn to run (setImmediate): fast handlers never pause the fetcher, late-resolving ones (work
   * queues waiting for a flush) do. The overshoot is bounded by one fetch per partition.
   */
  endBatch(state: PartitionState): void {
    if (state.windowCheck) return;
    state.windowCheck = setImmediate(() => {
      state.windowCheck = undefined;
      if (state.pipeline.inFlight >= this.options.maxInFlight) this.setFlag(state, Pause.Window);
    });
  }

  private take(state: PartitionState, raw: RawMessage, offset?: string): boolean {
    if (state.route.retryDelayMs !== undefined) {
      const wait = dueAtOf(raw.headers) - Date.now();
      if (wait > 0) {
        this.pauseUntilDue(state, wait);
        return false;
      }
    }
    state.pipeline.dispatch(raw, offset);
    return true;
  }

  /** Stops fetching a stream (main and retry topics) until {@link resume}. */
  pause(stream: string): void {
    this.userPaused.add(stream);
    for (const state of this.states.values()) if (state.route.stream === stream) this.setFlag(state, Pause.User);
  }

  resume(stream: string): void {
    this.userPaused.delete(stream);
    for (const state of this.states.values()) if (state.route.stream === stream) this.clearFlag(state, Pause.User);
  }

  /** Stop intake: every partition stops fetching for good. */
  stopIntake(): void {
    this.stopped = true;
    for (const state of this.states.values()) {
      this.setFlag(state, Pause.Stop);
      if (state.dueTimer) clearTimeout(state.dueTimer);
    }
  }

  /** Resolves once no handler or failure publish is running in any partition. */
  async drain(): Promise<void> {
    await Promise.all([...this.states.values()].map((s) => s.pipeline.idle()));
  }

  /** Makes failure publishes that wait for the broker give up (their records stay uncommitted). */
  abandonFailures(): void {
    for (const failures of this.failureHandlers.values()) failures.stop();
  }

  /** Commits every partition's finished prefix now; resolves when stored. */
  flush(): Promise<void> {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    this.committing = this.committing.then(() => this.commitNow());
    return this.committing;
  }

  /** Cancels timers (close). */
  dispose(): void {
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.commitTimer = undefined;
    for (const state of this.states.values()) {
      if (state.dueTimer) clearTimeout(state.dueTimer);
      if (state.windowCheck) clearImmediate(state.windowCheck);
    }
  }

  /** Per stream: paused by the user, records in flight, and the lag of its main topic. */
  status(): StreamConsumerStatus[] {
    const byStream = new Map<string, { inFlight: number; lag: number }>();
    for (const route of this.routes.values()) if (!byStream.has(route.stream)) byStream.set(route.stream, { inFlight: 0, lag: 0 });
    for (const state of this.states.values()) {
      const entry = byStream.get(state.route.stream)!;
      entry.inFlight += state.pipeline.inFlight;
      if (state.route.retryDelayMs === undefined && state.highWatermark >= 0) {
        const committed = Number(state.pipeline.commitOffset ?? state.fetched);
        if (committed >= 0) entry.lag += Math.max(0, state.highWatermark - committed);
      }
    }
    return [...byStream].map(([stream, { inFlight, lag }]) => ({ stream, paused: this.userPaused.has(stream), inFlight, lag }));
  }

  private finished(state: PartitionState): void {
    if (state.flags & Pause.Window && state.pipeline.inFlight <= this.lowWatermark) this.clearFlag(state, Pause.Window);
    if (this.options.commitIntervalMs === 0) {
      this.committing = this.committing.then(() => this.commitNow());
    } else if (!this.commitTimer) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        this.committing = this.committing.then(() => this.commitNow());
      }, this.options.commitIntervalMs);
    }
  }

  private async commitNow(): Promise<void> {
    const offsets: PartitionOffset[] = [];
    const taken: PartitionState[] = [];
    for (const state of this.states.values()) {
      const offset = state.pipeline.takeCommit();
      if (offset === undefined) continue;
      offsets.push({ topic: state.route.topic, partition: state.partition, offset });
      taken.push(state);
    }
    if (offsets.length === 0) return;
    try {
      await this.adapter.commit(offsets);
    } catch (error) {
      // Offered again with the next commit; until then a restart re-reads these records.
      taken.forEach((state, i) => state.pipeline.untake(offsets[i].offset));
      this.logger.warn?.(`commit failed (${(error as Error).message}); will try again`);
    }
  }

  private pauseUntilDue(state: PartitionState, waitMs: number): void {
    this.setFlag(state, Pause.Due);
    if (state.dueTimer) clearTimeout(state.dueTimer);
    state.dueTimer = setTimeout(() => {
      state.dueTimer = undefined;
      this.clearFlag(state, Pause.Due);
    }, waitMs);
  }

  private setFlag(state: PartitionState, flag: Pause): void {
    const before = state.flags;
    state.flags |= flag;
    if (flag === Pause.User) state.pipeline.hold(true);
    if (before === 0) this.adapter.pause(state.route.topic, state.partition);
  }

  private clearFlag(state: PartitionState, flag: Pause): void {
    if (!(state.flags & flag)) return;
    state.flags &= ~flag;
    if (flag === Pause.User) state.pipeline.hold(false);
    if (state.flags === 0) this.adapter.resume(state.route.topic, state.partition);
  }
}
