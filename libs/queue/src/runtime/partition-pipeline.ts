import type { IncomingEvent } from '../incoming-event';
import type { BatchResult } from '../queue.decorators';
import type { ConsumerBinding } from './consumer-binding';
import type { ConsumerMetrics } from './consumer-metrics';
import { NO_METRICS } from './consumer-metrics';
import { toIncomingEvent, type RawMessage } from './envelope';
import type { FailureHandler } from './failure-handler';
import { invokeHandler, QueueContext } from './handler-invoker';
import { KeyedScheduler } from './keyed-scheduler';
import { OffsetTracker } from './offset-tracker';

/** Options of {@link PartitionPipeline}. */
export interface PartitionPipelineOptions {
  readonly binding: ConsumerBinding;
  readonly failures: FailureHandler;
  /** 'memory', 'kafka', 'rabbitmq': shown to handlers through {@link QueueContext}. */
  readonly transport: string;
  readonly metrics?: ConsumerMetrics;
  /**
   * Called after every finished record (handled, retried or dead-lettered), e.g. to schedule a
   * commit or resume a paused partition. Keep it cheap: it runs once per record.
   */
  readonly onFinished?: (message: RawMessage) => void;
}

/** One record on its way through the pipeline. */
interface Work {
  readonly raw: RawMessage;
  readonly sequence: number;
}

/**
 * Runs the records of one partition (or one queue consumer) through the stream's handler:
 * parsing, invocation in key order, failure handling, and completion tracking for the commit.
 *
 * - Per-record mode: up to `binding.concurrency` keys run at once; a record starts only after the
 *   previous record of its key settled.
 * - Batch mode (`@Batch(n)`): records are grouped in partition order into arrays of at most n and
 *   handed to the handler in order; up to `binding.concurrency` batches may be outstanding (1 by
 *   default: the next batch starts when the previous one settled). A thrown error fails the whole
 *   batch; a returned {@link BatchResult} fails only the events it names.
 *
 * Records that fail go to the {@link FailureHandler} and count as finished once it resolves, so a
 * retrying record never holds back the records behind it. {@link commitOffset} is the offset
 * after the finished prefix of the partition.
 */
export class PartitionPipeline {
  private readonly tracker = new OffsetTracker();
  private readonly scheduler: KeyedScheduler<Work>;
  private readonly binding: ConsumerBinding;
  private readonly stream: string;
  private readonly metrics: ConsumerMetrics;
  private buffer: Work[] = [];
  private pumpScheduled = false;
  private outstandingBatches = 0;
  private batchWaiters: Array<() => void> = [];

  constructor(private readonly options: PartitionPipelineOptions) {
    this.binding = options.binding;
    this.stream = options.binding.stream;
    this.metrics = options.metrics ?? NO_METRICS;
    this.scheduler = new KeyedScheduler(this.binding.concurrency, (work) => this.runOne(work));
  }

  /** Records read and not yet finished: the in-flight window's fill. */
  get inFlight(): number {
    return this.tracker.inFlight;
  }

  /** The offset after the finished prefix, i.e. the offset to commit, if any record finished. */
  get commitOffset(): string | undefined {
    return this.tracker.commitOffset;
  }

  /** The commit offset if it moved since the last call (see {@link OffsetTracker.takeCommit}). */
  takeCommit(): string | undefined {
    return this.tracker.takeCommit();
  }

  /** Offers an offset whose commit failed again at the next {@link takeCommit}. */
  untake(offset: string): void {
    this.tracker.untake(offset);
  }

  /** Accepts the next record of the partition (records must arrive in log order). */
  dispatch(raw: RawMessage): void {
    const work: Work = { raw, sequence: this.tracker.add(raw.position.offset) };
    if (this.binding.batchSize === 0) {
      this.scheduler.push(raw.key, work);
      return;
    }
    this.buffer.push(work);
    this.schedulePump();
  }

  /** Resolves once no handler or failure publish of this pipeline is running or queued. */
  async idle(): Promise<void> {
    await this.scheduler.idle();
    while (this.outstandingBatches > 0 || this.buffer.length > 0) {
      await new Promise<void>((resolve) => this.batchWaiters.push(resolve));
    }
  }

  private finish(work: Work): void {
    this.tracker.complete(work.sequence);
    this.options.onFinished?.(work.raw);
  }

  private async fail(work: Work, error: unknown): Promise<void> {
    try {
      await this.options.failures.handle(work.raw, error);
    } catch {
      return; // shutting down: the record stays unfinished and is read again after a restart
    }
    this.finish(work);
  }

  private async runOne(work: Work): Promise<void> {
    let event: IncomingEvent;
    try {
      event = toIncomingEvent(this.stream, work.raw);
    } catch (error) {
      return this.fail(work, error);
    }
    try {
      await invokeHandler(this.binding.handler, event, new QueueContext(this.stream, this.options.transport));
    } catch (error) {
      return this.fail(work, error);
    }
    this.metrics.consumed(this.stream, 1);
    this.finish(work);
  }

  /**
   * Deferred to a microtask, so that records dispatched in one go form one batch rather than 1 +
   * the rest. (Not to the next turn of the event loop: the next fetch could then be decoded before
   * the handlers ran, find the window full and be dropped.)
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.pumpBound);
  }

  private readonly pumpBound = () => this.pumpBatches();

  private pumpBatches(): void {
    this.pumpScheduled = false;
    const size = this.binding.batchSize;
    while (this.buffer.length > 0 && this.outstandingBatches < this.binding.concurrency) {
      const works = this.buffer.length <= size ? this.buffer : this.buffer.slice(0, size);
      this.buffer = works === this.buffer ? [] : this.buffer.slice(size);
      // Batches start in partition order; up to `concurrency` of them may be outstanding.
      this.outstandingBatches++;
      const settled = () => this.batchSettled();
      this.runBatch(works).then(settled, settled);
    }
  }

  private batchSettled(): void {
    this.outstandingBatches--;
    if (this.buffer.length > 0) this.schedulePump();
    const waiters = this.batchWaiters;
    this.batchWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Runs one batch; called by the scheduler for the items pushed by {@link pumpBatches}. */
  private async runBatch(works: Work[]): Promise<void> {
    const events: IncomingEvent[] = [];
    const valid: Work[] = [];
    const failing: Array<Promise<void>> = [];
    for (const work of works) {
      try {
        events.push(toIncomingEvent(this.stream, work.raw));
        valid.push(work);
      } catch (error) {
        failing.push(this.fail(work, error));
      }
    }
    if (events.length > 0) {
      let result: unknown;
      try {
        result = await invokeHandler(this.binding.handler, events, new QueueContext(this.stream, this.options.transport));
      } catch (error) {
        for (const work of valid) failing.push(this.fail(work, error));
        await Promise.all(failing);
        return;
      }
      const failed = failedEvents(result);
      let succeeded = 0;
      for (let i = 0; i < valid.length; i++) {
        const error = failed?.get(events[i].eventId);
        if (error === undefined) {
          succeeded++;
          this.finish(valid[i]);
        } else {
          failing.push(this.fail(valid[i], error));
        }
      }
      if (succeeded > 0) this.metrics.consumed(this.stream, succeeded);
    }
    await Promise.all(failing);
  }
}

/** The failed events of a {@link BatchResult}, by event id; undefined when nothing failed. */
function failedEvents(result: unknown): Map<string, unknown> | undefined {
  const failed = (result as BatchResult | undefined | null)?.failed;
  if (!Array.isArray(failed) || failed.length === 0) return undefined;
  const map = new Map<string, unknown>();
  for (const entry of failed) map.set(entry.eventId, entry.error ?? new Error('failed by the batch handler'));
  return map;
}
