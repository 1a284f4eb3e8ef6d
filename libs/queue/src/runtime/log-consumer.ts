import { Logger, type LoggerService } from '@nestjs/common';
import type {
  PartitionConsumerStatus,
  PauseHolder,
  StreamConsumerStatus,
} from '../consumer-control';
import type { ConsumerMetrics } from './consumer-metrics';
import { dueAtOf, type RawMessage } from './envelope';
import type { FailureHandler } from './failure-handler';
import type { TopicRoute } from './log-routes';
import { OffsetCommitter, type PartitionOffset } from './offset-committer';
import { createPartitionPipeline } from './partition-pipeline';
import { holdsRecords, PartitionState, type PauseReason } from './partition-state';

export type { PartitionOffset } from './offset-committer';
export { PartitionState, type PauseReason } from './partition-state';

/** What a log broker (Kafka, memory) does for the {@link LogConsumer}. */
export interface LogConsumerAdapter {
  /** Stops fetching the partition; records already offered still finish. */
  pause(topic: string, partition: number): void;
  /** Fetches the partition again from the record after the last one taken (or from the last seek). */
  resume(topic: string, partition: number): void;
  /** Makes the next fetch of the partition start at `offset` (a redelivery); called while paused. */
  seek(topic: string, partition: number, offset: string): void;
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

/**
 * The consumer side shared by the log brokers (Kafka and the in-memory broker): one pipeline per
 * partition, the bounded in-flight window (a full window pauses the partition, which resumes
 * below half of it), retry topics that pause until their head record is due (never sleeping
 * inside a handler), pauses through ConsumerControl, redeliveries (the partition is read again
 * from the record that asked), stop-intake, drain and batched, serialised commits of the
 * finished prefix of every partition. A partition fetches only while no {@link PauseReason} holds.
 */
export class LogConsumer {
  private readonly states = new Map<string, PartitionState>();
  /** Per stream, who holds it paused through ConsumerControl. */
  private readonly held = new Map<string, Set<PauseHolder>>();
  private readonly failureHandlers = new Map<string, FailureHandler>();
  private readonly lowWatermark: number;
  private readonly committer: OffsetCommitter;
  private stopped = false;

  constructor(
    private readonly routes: ReadonlyMap<string, TopicRoute>,
    private readonly adapter: LogConsumerAdapter,
    private readonly options: LogConsumerOptions,
  ) {
    const logger = options.logger ?? new Logger(`${options.transport} consumer`);
    this.lowWatermark = Math.floor(options.maxInFlight / 2);
    this.committer = new OffsetCommitter(
      () => this.states.values(),
      (o) => adapter.commit(o),
      options.commitIntervalMs,
      logger,
    );
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
    const pipeline = createPartitionPipeline({
      binding: route.binding,
      failures,
      transport: this.options.transport,
      metrics: this.options.metrics,
      onFinished: () => this.finished(created),
      redelivery: {
        mode: 'rewind',
        stopReading: () => this.pauseFor(created, 'redeliver'),
        readFrom: (offset) => this.readFrom(created, offset),
      },
    });
    const created = new PartitionState(route, partition, pipeline);
    this.states.set(id, created);
    if (this.stopped) this.pauseFor(created, 'stopped');
    for (const by of this.held.get(route.stream) ?? []) this.pauseFor(created, by);
    return created;
  }

  /**
   * Offers the next record of a partition (memory broker: records are read one by one). Returns
   * false, taking nothing, while the partition is paused, or when the record is a retry that is not
   * due yet (the partition then pauses until it is); the caller stops there and reads the record
   * again after the resume. A full window pauses the partition at once.
   */
  offer(state: PartitionState, raw: RawMessage): boolean {
    if (state.paused || !this.take(state, raw)) return false;
    if (state.pipeline.inFlight >= this.options.maxInFlight) this.pauseFor(state, 'window-full');
    return true;
  }

  /**
   * Kafka: whether to take a fetched batch at all. False while the partition is paused or its
   * window is full; the batch is then dropped unresolved (and fetched again after the resume).
   */
  startBatch(state: PartitionState): boolean {
    if (state.paused) return false;
    if (state.pipeline.inFlight < this.options.maxInFlight) return true;
    this.pauseFor(state, 'window-full');
    return false;
  }

  /**
   * Kafka: offers a record of a batch that {@link startBatch} accepted. The rest of a decoded
   * batch is taken even past the window (dropping decoded records to fetch them again costs more
   * than the window saves); only a retry that is not due, a redelivery or stop-intake ends the
   * batch early.
   */
  offerFetched(state: PartitionState, raw: RawMessage, offset?: string): boolean {
    return !state.takesNoMore && this.take(state, raw, offset);
  }

  /**
   * Kafka: after a batch, pauses the partition if its window is still full once the handlers had a
   * turn to run. Why setImmediate: fast handlers finish within the turn and never pause the
   * fetcher, late-resolving ones (work queues waiting for a flush) do; the overshoot is bounded by
   * one fetch per partition.
   */
  endBatch(state: PartitionState): void {
    if (state.windowCheck) return;
    state.windowCheck = setImmediate(() => {
      state.windowCheck = undefined;
      if (state.pipeline.inFlight >= this.options.maxInFlight) this.pauseFor(state, 'window-full');
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

  /** Stops fetching a stream (main and retry topics) on behalf of `by`, until its {@link resume}. */
  pause(stream: string, by: PauseHolder): void {
    let holders = this.held.get(stream);
    if (!holders) this.held.set(stream, (holders = new Set()));
    holders.add(by);
    for (const state of this.states.values())
      if (state.route.stream === stream) this.pauseFor(state, by);
  }

  /** Releases the hold of `by`; the stream fetches again once no reason is left. */
  resume(stream: string, by: PauseHolder): void {
    this.held.get(stream)?.delete(by);
    for (const state of this.states.values())
      if (state.route.stream === stream) this.clear(state, by);
  }

  /**
   * Reads a topic again from elsewhere (an operator's offset reset): stops fetching its partitions,
   * drops records read and not started, lets running ones finish and commits them, then runs
   * `move`, which stores the new offsets, seeks the assigned partitions there and returns their
   * new next offsets; then fetches again. If `move` fails, each partition is read again from its
   * oldest record that did not finish, so nothing is skipped.
   */
  async restartTopic(
    topic: string,
    move: (states: PartitionState[]) => Promise<Map<PartitionState, string>>,
  ): Promise<void> {
    const states = [...this.states.values()].filter((s) => s.route.topic === topic);
    for (const state of states) this.pauseFor(state, 'offset-reset');
    let moved: Map<PartitionState, string> | undefined;
    const resumeFrom = new Map<PartitionState, string | undefined>();
    try {
      await Promise.all(
        states.map(async (state) => resumeFrom.set(state, await state.pipeline.restart())),
      );
      await this.flush();
      moved = await move(states);
    } finally {
      for (const state of states) {
        const from = resumeFrom.get(state);
        const next = moved?.get(state);
        if (next !== undefined) {
          state.pipeline.moved(next);
          state.fetched = Number(next);
        } else if (!moved && from !== undefined) this.readFrom(state, from);
        if (state.pipeline.inFlight <= this.lowWatermark) this.clear(state, 'window-full');
        this.clear(state, 'offset-reset');
      }
    }
  }

  /** Stop intake: every partition stops fetching for good. */
  stopIntake(): void {
    this.stopped = true;
    for (const state of this.states.values()) {
      this.pauseFor(state, 'stopped');
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
    return this.committer.flush();
  }

  /** Cancels timers (close). */
  dispose(): void {
    this.committer.dispose();
    for (const state of this.states.values()) {
      if (state.dueTimer) clearTimeout(state.dueTimer);
      if (state.windowCheck) clearImmediate(state.windowCheck);
    }
  }

  /** Per stream: paused through ConsumerControl, records in flight, and the lag of its main topic. */
  status(): StreamConsumerStatus[] {
    type Entry = {
      inFlight: number;
      lag: number;
      partitions: PartitionConsumerStatus[];
      retryTiers: { topic: string; delayMs: number; lag: number }[];
    };
    const byStream = new Map<string, Entry>();
    for (const route of this.routes.values())
      if (!byStream.has(route.stream))
        byStream.set(route.stream, { inFlight: 0, lag: 0, partitions: [], retryTiers: [] });
    for (const state of this.states.values()) {
      const entry = byStream.get(state.route.stream)!;
      entry.inFlight += state.pipeline.inFlight;
      if (state.highWatermark < 0) continue;
      const committed = Number(state.pipeline.commitOffset ?? state.fetched);
      if (committed < 0) continue;
      const lag = Math.max(0, state.highWatermark - committed);
      const delayMs = state.route.retryDelayMs;
      if (delayMs !== undefined) {
        const tier = entry.retryTiers.find((t) => t.topic === state.route.topic);
        if (tier) tier.lag += lag;
        else entry.retryTiers.push({ topic: state.route.topic, delayMs, lag });
        continue;
      }
      entry.lag += lag;
      entry.partitions.push({
        partition: state.partition,
        lag,
        fetched: state.fetched,
        committed: state.pipeline.commitOffset,
        highWatermark: state.highWatermark,
        inFlight: state.pipeline.inFlight,
        pausedBy: state.pauseReasons(),
      });
    }
    return [...byStream].map(([stream, { inFlight, lag, partitions, retryTiers }]) => ({
      stream,
      paused: (this.held.get(stream)?.size ?? 0) > 0,
      pausedBy: [...(this.held.get(stream) ?? [])],
      inFlight,
      lag,
      partitions: partitions.sort((a, b) => a.partition - b.partition),
      retryTiers,
    }));
  }

  private finished(state: PartitionState): void {
    if (state.has('window-full') && state.pipeline.inFlight <= this.lowWatermark)
      this.clear(state, 'window-full');
    this.committer.schedule();
  }

  /** The pipeline forgot the records from `offset` on: the partition is read again from there. */
  private readFrom(state: PartitionState, offset: string): void {
    // At shutdown nothing is read again here: the commit stays before the record for the restart.
    if (!this.stopped) {
      this.adapter.seek(state.route.topic, state.partition, offset);
      state.fetched = Number(offset);
    }
    if (state.pipeline.inFlight <= this.lowWatermark) this.clear(state, 'window-full');
    this.clear(state, 'redeliver');
  }

  private pauseUntilDue(state: PartitionState, waitMs: number): void {
    this.pauseFor(state, 'retry-not-due');
    if (state.dueTimer) clearTimeout(state.dueTimer);
    state.dueTimer = setTimeout(() => {
      state.dueTimer = undefined;
      this.clear(state, 'retry-not-due');
    }, waitMs);
  }

  private pauseFor(state: PartitionState, reason: PauseReason): void {
    if (state.has(reason)) return;
    if (holdsRecords(reason)) state.pipeline.hold(true);
    if (state.add(reason)) this.adapter.pause(state.route.topic, state.partition);
  }

  private clear(state: PartitionState, reason: PauseReason): void {
    if (!state.has(reason)) return;
    const last = state.delete(reason);
    if (holdsRecords(reason)) state.pipeline.hold(state.holdsRecords);
    if (last) this.adapter.resume(state.route.topic, state.partition);
  }
}
