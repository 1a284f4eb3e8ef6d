import { runInLogContext, tracingEnabled } from '@lib/observability';
import { isRedeliver } from '../queue.errors';
import type { ConsumerBinding } from './consumer-binding';
import type { ConsumerMetrics } from './consumer-metrics';
import { NO_METRICS } from './consumer-metrics';
import type { RawMessage } from './envelope';
import { EventLogContext } from './event-log-context';
import type { FailureHandler } from './failure-handler';
import type { EventMetadataReader, IncomingEvent } from '../incoming-event';
import { invokeHandler, QueueContext } from './handler-invoker';
import { compareOffsets, OffsetTracker } from './offset-tracker';
import { processInSpan } from './process-tracing';

/**
 * How a transport gives a record back to the broker when its handler throws a
 * {@link RedeliverError} (a redelivery is not a failed attempt: no retry tier, no dead letter).
 *
 * - `requeue` (RabbitMQ): the transport hands the delivery back itself (nack with requeue); the
 *   record then no longer holds back the ones behind it, and is not acked.
 * - `rewind` (Kafka, memory): the record stays unfinished, so no commit passes it. The pipeline
 *   starts no new work and calls `stopReading`; once its running work settled it forgets every
 *   record from the oldest unfinished one on and calls `readFrom(offset)`, where the transport
 *   reads the partition again. Records after it that had finished are skipped when read again.
 */
export type Redelivery =
  | { readonly mode: 'requeue'; requeue(message: RawMessage): void }
  | {
      readonly mode: 'rewind';
      stopReading(): void;
      readFrom(offset: string): void;
    };

/** Options of a {@link PartitionPipeline}. */
export interface PartitionPipelineOptions {
  readonly binding: ConsumerBinding;
  readonly failures: FailureHandler;
  /** 'memory', 'kafka', 'rabbitmq': shown to handlers through {@link QueueContext}. */
  readonly transport: string;
  readonly redelivery: Redelivery;
  readonly metrics?: ConsumerMetrics;
  /**
   * Called after every finished record (handled, retried or dead-lettered), e.g. to schedule a
   * commit or resume a paused partition. Keep it cheap: it runs once per record.
   */
  readonly onFinished?: (message: RawMessage) => void;
}

/**
 * The part of a partition's pipeline that does not depend on how records reach the handler (one
 * by one, {@link RecordPipeline}, or in arrays, {@link BatchPipeline}): completion tracking for the
 * commit, failures (retry or dead letter through the {@link FailureHandler}) and redeliveries.
 *
 * Records that fail count as finished once the failure handler resolves, so a retrying record
 * never holds back the records behind it. {@link commitOffset} is the offset after the finished
 * prefix of the partition.
 */
export abstract class PartitionPipeline {
  protected readonly binding: ConsumerBinding;
  protected readonly stream: string;
  protected readonly metrics: ConsumerMetrics;
  /** A record asked for redelivery (rewind mode): no new work starts until the rewind. */
  protected rewinding = false;
  private readonly tracker = new OffsetTracker();
  /** After a rewind: offsets, in log order, that had finished and are not run again when read again. */
  private skip?: string[];
  private skipHead = 0;

  constructor(protected readonly options: PartitionPipelineOptions) {
    this.binding = options.binding;
    this.stream = options.binding.stream;
    this.metrics = options.metrics ?? NO_METRICS;
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
    if (this.skip !== undefined && this.finishedBefore(offset)) return this.finish(raw, sequence);
    this.start(raw, sequence);
  }

  /**
   * Holds back records already read (no new work starts) while the stream is paused on purpose;
   * only batch mode buffers records, so only it has something to hold.
   */
  hold(held: boolean): void {
    void held;
  }

  /** The context of one handler invocation (one per record, or per batch). */
  protected newContext(events: EventMetadataReader): QueueContext {
    return new QueueContext(this.stream, this.options.transport, events);
  }

  /**
   * Calls the handler with a new context, timing the call for the handler duration metric; with
   * tracing on, in a `<stream> process` span of `raws` (the record, or the batch's records).
   */
  protected async invoke(
    data: IncomingEvent | IncomingEvent[],
    events: EventMetadataReader,
    raws: RawMessage | readonly RawMessage[],
  ): Promise<unknown> {
    const started = performance.now();
    try {
      // Lines the handler logs carry the event's ids (eventId, requestId, traceId).
      const call = () =>
        runInLogContext(new EventLogContext(data, events), () =>
          invokeHandler(this.binding.handler, data, this.newContext(events)),
        );
      if (!tracingEnabled()) return await call();
      return await processInSpan(this.stream, this.options.transport, raws, call);
    } finally {
      this.metrics.handlerDuration(this.stream, (performance.now() - started) / 1000);
    }
  }

  /**
   * Stops the pipeline for a move of the partition elsewhere (an operator's offset reset): records
   * read and not started are dropped, running ones finish, then every unfinished record is
   * forgotten. Returns the offset of the oldest forgotten one, where the partition must be read
   * again if the move does not happen; undefined when every record finished. Call {@link moved}
   * once the partition reads from its new offset.
   */
  async restart(): Promise<string | undefined> {
    this.rewinding = true;
    try {
      this.dropUnstarted();
      await this.idle();
      this.dropUnstarted();
      this.skip = undefined;
      return this.tracker.rewind()?.from;
    } finally {
      this.rewinding = false;
    }
  }

  /** After {@link restart}: the partition reads from `next` now (already committed there). */
  moved(next: string): void {
    this.tracker.startAt(next);
  }

  /** Resolves once no handler or failure publish of this pipeline is running or queued. */
  abstract idle(): Promise<void>;

  /** Starts (or queues) the handling of a record just read. */
  protected abstract start(raw: RawMessage, sequence: number): void;

  /** Rewind mode: forgets records read and not started yet (they are read again after the rewind). */
  protected abstract dropUnstarted(): void;

  protected finish(raw: RawMessage, sequence: number): void {
    this.tracker.complete(sequence);
    this.options.onFinished?.(raw);
  }

  /** Hands a record whose parsing or handler failed to redelivery, or to the failure handler. */
  protected async fail(raw: RawMessage, sequence: number, error: unknown): Promise<void> {
    if (isRedeliver(error)) return this.redeliver(raw, sequence);
    try {
      await this.options.failures.handle(raw, error);
    } catch {
      return; // shutting down: the record stays unfinished and is read again after a restart
    }
    this.finish(raw, sequence);
  }

  private redeliver(raw: RawMessage, sequence: number): void {
    const redelivery = this.options.redelivery;
    if (redelivery.mode === 'requeue') {
      redelivery.requeue(raw);
      this.tracker.complete(sequence); // settled with the broker, but not acked: no onFinished
      return;
    }
    if (this.rewinding) return; // the rewind under way reads this record again too
    this.rewinding = true;
    this.dropUnstarted();
    redelivery.stopReading();
    // Why wait: a record still running may finish (then it is skipped when read again) or ask for
    // redelivery too; only once nothing runs is the set of records to read again known.
    void this.idle().then(() => this.rewind(redelivery.readFrom));
  }

  private rewind(readFrom: (offset: string) => void): void {
    this.dropUnstarted(); // anything dispatched while waiting is read again as well
    const rewound = this.tracker.rewind();
    this.rewinding = false;
    this.skip = rewound && rewound.finished.length > 0 ? rewound.finished : undefined;
    this.skipHead = 0;
    if (rewound) readFrom(rewound.from);
  }

  /** True when `offset` finished before the last rewind; drops skip entries it has passed. */
  private finishedBefore(offset: string): boolean {
    const skip = this.skip!;
    while (this.skipHead < skip.length && compareOffsets(skip[this.skipHead], offset) < 0)
      this.skipHead++;
    const hit = this.skipHead < skip.length && skip[this.skipHead] === offset;
    if (hit) this.skipHead++;
    if (this.skipHead === skip.length) this.skip = undefined;
    return hit;
  }
}
