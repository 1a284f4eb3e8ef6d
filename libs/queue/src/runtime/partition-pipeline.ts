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

/** One record on its way through the pipeline (per-record mode). */
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
  /**
   * Batch mode: records waiting for a batch from `bufferHead` on. Their sequence numbers are
   * consecutive (every record of the pipeline goes through the buffer), from `bufferSequence`.
   */
  private buffer: RawMessage[] = [];
  private bufferHead = 0;
  private bufferSequence = 0;
  private pumpScheduled = false;
  private outstandingBatches = 0;
  private batchWaiters: Array<() => void> = [];
  /** Batch mode: while true no new batch starts (see {@link hold}). */
  private held = false;

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

  /**
   * Accepts the next record of the partition (records must arrive in log order). `offset` is
   * `raw.position.offset`, passed by transports that have it at hand without building the position.
   */
  dispatch(raw: RawMessage, offset = raw.position.offset): void {
    const sequence = this.tracker.add(offset);
    if (this.binding.batchSize === 0) {
      this.scheduler.push(raw.key, { raw, sequence });
      return;
    }
    if (this.bufferHead === this.buffer.length) this.bufferSequence = sequence;
    this.buffer.push(raw);
    this.schedulePump(true);
  }

  /**
   * Batch mode: holds back the records already read (no new batch starts) while the stream is
   * paused on purpose, e.g. by a full work queue, and lets them go on release. Pausing the
   * transport alone stops the next fetch, but a fetch already read can hold thousands of records,
   * and handing them on would fill the paused work queue far past its watermark.
   */
  hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held && this.buffered > 0) this.schedulePump();
  }

  /** Records waiting in the batch buffer. */
  private get buffered(): number {
    return this.buffer.length - this.bufferHead;
  }

  /** Resolves once no handler or failure publish of this pipeline is running or queued. */
  async idle(): Promise<void> {
    await this.scheduler.idle();
    while (this.outstandingBatches > 0 || this.buffered > 0) {
      await new Promise<void>((resolve) => this.batchWaiters.push(resolve));
    }
  }

  private finish(raw: RawMessage, sequence: number): void {
    this.tracker.complete(sequence);
    this.options.onFinished?.(raw);
  }

  private async fail(raw: RawMessage, sequence: number, error: unknown): Promise<void> {
    try {
      await this.options.failures.handle(raw, error);
    } catch {
      return; // shutting down: the record stays unfinished and is read again after a restart
    }
    this.finish(raw, sequence);
  }

  private async runOne({ raw, sequence }: Work): Promise<void> {
    let event: IncomingEvent;
    try {
      event = toIncomingEvent(this.stream, raw);
    } catch (error) {
      return this.fail(raw, sequence, error);
    }
    try {
      await invokeHandler(this.binding.handler, event, new QueueContext(this.stream, this.options.transport));
    } catch (error) {
      return this.fail(raw, sequence, error);
    }
    this.metrics.consumed(this.stream, 1);
    this.finish(raw, sequence);
  }

  /**
   * Starts batches later, so that records dispatched in one go form one batch rather than 1 + the
   * rest. After new records (`fresh`), to the check phase of this turn of the event loop
   * (setImmediate): the transport's callback returns first, so kafkajs sends its next fetch (it
   * fetches again only once eachBatch returned) and the broker prepares it while these records
   * are handled, as the Java consumer pipelines fetches. The response is read in the next poll
   * phase, after the handlers had their turn, so a fast handler never finds its window full.
   * The following batches of what is buffered start in a microtask, within the same turn.
   */
  private schedulePump(fresh = false): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    if (fresh) setImmediate(this.pumpBound);
    else queueMicrotask(this.pumpBound);
  }

  private readonly pumpBound = () => this.pumpBatches();

  private pumpBatches(): void {
    this.pumpScheduled = false;
    const size = this.binding.batchSize;
    while (!this.held && this.buffered > 0 && this.outstandingBatches < this.binding.concurrency) {
      // Taken from the head without shifting the rest (a fetch may buffer thousands of records).
      const head = this.bufferHead;
      const end = Math.min(this.buffer.length, head + size);
      const raws = head === 0 && end === this.buffer.length ? this.buffer : this.buffer.slice(head, end);
      const first = this.bufferSequence;
      this.bufferSequence += end - head;
      if (end === this.buffer.length) {
        this.buffer = [];
        this.bufferHead = 0;
      } else {
        this.bufferHead = end;
      }
      // Batches start in partition order; up to `concurrency` of them may be outstanding.
      this.outstandingBatches++;
      this.runBatch(raws, first).then(this.settledBound, this.settledBound);
      if (this.buffered > 0 && this.outstandingBatches < this.binding.concurrency) {
        // The next batch starts in a later turn, once this one's handler has run its synchronous
        // part (a work queue's add): a pause (hold) that add causes stops the rest of the buffer,
        // so a paused stream overshoots its work queue's watermark by one batch, not one fetch.
        this.schedulePump(true);
        return;
      }
    }
  }

  private readonly settledBound = () => this.batchSettled();

  private batchSettled(): void {
    this.outstandingBatches--;
    if (this.buffered > 0) this.schedulePump();
    const waiters = this.batchWaiters;
    this.batchWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Runs one batch taken by {@link pumpBatches}: `raws` in partition order, whose sequence numbers
   * are `first`, `first + 1`, …
   */
  private async runBatch(raws: RawMessage[], first: number): Promise<void> {
    const events: IncomingEvent[] = [];
    // Index in `raws` of each event; only made once a record failed to parse (else event i is raw i).
    let indexes: number[] | undefined;
    const failing: Array<Promise<void>> = [];
    for (let i = 0; i < raws.length; i++) {
      let event: IncomingEvent;
      try {
        event = toIncomingEvent(this.stream, raws[i]);
      } catch (error) {
        indexes ??= Array.from({ length: events.length }, (_, j) => j);
        failing.push(this.fail(raws[i], first + i, error));
        continue;
      }
      events.push(event);
      indexes?.push(i);
    }
    if (events.length > 0) {
      let result: unknown;
      try {
        result = await invokeHandler(this.binding.handler, events, new QueueContext(this.stream, this.options.transport));
      } catch (error) {
        for (let e = 0; e < events.length; e++) {
          const i = indexes === undefined ? e : indexes[e];
          failing.push(this.fail(raws[i], first + i, error));
        }
        await Promise.all(failing);
        return;
      }
      const failed = failedEvents(result);
      const pending = pendingOf(result);
      // Index in `raws` of each event the handler did not fail.
      const handled: number[] = [];
      for (let e = 0; e < events.length; e++) {
        const i = indexes === undefined ? e : indexes[e];
        const error = failed?.get(events[e].eventId);
        if (error === undefined) handled.push(i);
        else failing.push(this.fail(raws[i], first + i, error));
      }
      // A separate frame for the wait, so that this one (and with it the parsed events) is gone.
      if (pending !== undefined) return this.finishWhenSettled(raws, first, handled, pending, failing);
      this.finishHandled(raws, first, handled);
    }
    if (failing.length > 0) await Promise.all(failing);
  }

  /**
   * Batch mode: the handler returned its work still under way ({@link BatchResult.pending}).
   * Holds only the raw records, which a failure needs, until it settles.
   */
  private async finishWhenSettled(
    raws: RawMessage[],
    first: number,
    handled: readonly number[],
    pending: PromiseLike<unknown>,
    failing: Array<Promise<void>>,
  ): Promise<void> {
    try {
      await pending;
      this.finishHandled(raws, first, handled);
    } catch (error) {
      for (const i of handled) failing.push(this.fail(raws[i], first + i, error));
    }
    if (failing.length > 0) await Promise.all(failing);
  }

  private finishHandled(raws: RawMessage[], first: number, handled: readonly number[]): void {
    for (const i of handled) this.finish(raws[i], first + i);
    if (handled.length > 0) this.metrics.consumed(this.stream, handled.length);
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

/** A {@link BatchResult}'s pending work, if it has any. */
function pendingOf(result: unknown): PromiseLike<unknown> | undefined {
  const pending = (result as BatchResult | undefined | null)?.pending;
  return typeof pending?.then === 'function' ? pending : undefined;
}
