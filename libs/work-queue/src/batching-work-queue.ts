import { Logger } from '@nestjs/common';
import { tracingEnabled } from '@lib/observability';
import type { IncomingEvent } from '@lib/queue';
import type { DataSource } from 'typeorm';
import type { BatchShape } from './buffer/batch-shape';
import type { PartitionBucket } from './buffer/partition-bucket';
import { WorkBuffer } from './buffer/work-buffer';
import { endFlushSpan, FlushLinks } from './flush/flush-links';
import { FlushScheduler } from './flush/flush-scheduler';
import { writeBatchInTransaction, type FlushOutcome } from './flush/flush-transaction';
import { runTransaction } from './flush/run-transaction';
import type { OffsetLedger } from './offsets/offset-ledger';
import { planOffsetWrites } from './offsets/offset-plan';
import type { StreamPauser } from './stream-pauser';
import {
  PartitionFencedError,
  WorkDiscardedError,
  WorkQueueClosedError,
} from './work-queue.errors';
import type { QueueMetrics } from './work-queue.metrics';
import type { BatchWriter } from './work-queue.options';
import type { WorkQueueSettings } from './work-queue.settings';

/** What a queue needs from its surroundings. */
export interface WorkQueueDeps {
  readonly dataSource: DataSource;
  readonly ledger: OffsetLedger;
  readonly pauser: StreamPauser;
  readonly metrics: QueueMetrics;
}

/** A queue's state, for readiness and tests. */
export interface WorkQueueStatus {
  readonly name: string;
  readonly state: 'open' | 'closing' | 'closed';
  /** Events buffered or being flushed. */
  readonly depth: number;
  readonly paused: boolean;
  /** Set while flushes fail: since when, how many attempts, the last error. */
  readonly failing?: {
    readonly sinceMs: number;
    readonly attempts: number;
    readonly error: string;
  };
  /** How long the current flush has been running, if one is. */
  readonly flushRunningMs?: number;
}

/** What the registry, readiness and shutdown need of a queue, whatever its event and value types. */
export interface WorkQueueHandle {
  readonly name: string;
  readonly settings: WorkQueueSettings;
  status(): WorkQueueStatus;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Logs a failing flush on the first attempts, then every this many. */
const LOG_EVERY_ATTEMPTS = 20;

/**
 * A bounded in-process work queue: handlers `return queue.add(events)`; a flusher writes the
 * buffer every flush interval in one transaction (data, offsets, processed ids), and add()'s
 * promise resolves once the flush holding those events has committed. Create it through
 * {@link WorkQueueRegistry}. Above the high watermark the queue pauses the streams feeding it
 * and still accepts what the transport already has in flight; below the low one it resumes.
 */
export class BatchingWorkQueue<TEvent = unknown, TOut = unknown> implements WorkQueueHandle {
  readonly name: string;
  private buffer: WorkBuffer<TEvent, TOut>;
  private flushing?: WorkBuffer<TEvent, TOut>;
  private flushStartedAt?: number;
  /** Topics whose offsets were reloaded while a flush ran: a failed batch must drop them. */
  private readonly reloadedDuringFlush = new Set<string>();
  private state: WorkQueueStatus['state'] = 'open';
  private closing?: Promise<void>;
  private paused = false;
  private failing?: { sinceMs: number; attempts: number; error: string };
  private readonly streams = new Set<string>();
  private readonly outOfOrderWarned = new Set<string>();
  private lastStream?: string;
  private readonly fencedListeners = new Set<(errors: readonly PartitionFencedError[]) => void>();
  private readonly scheduler: FlushScheduler;
  private readonly unsubscribe: () => void;
  private readonly logger: Logger;
  /** With tracing on: the handler spans whose events the next flush writes. */
  private links = new FlushLinks();

  constructor(
    shape: BatchShape<TEvent, TOut>,
    private readonly write: BatchWriter<TOut>,
    readonly settings: WorkQueueSettings,
    private readonly deps: WorkQueueDeps,
  ) {
    this.name = settings.name;
    this.logger = new Logger(`work-queue ${settings.name}`);
    const mode = settings.dedupe ? 'dedupe' : shape.merge ? 'aggregate' : 'append';
    this.buffer = new WorkBuffer(shape, mode, settings.trackOffsets);
    this.unsubscribe = deps.ledger.onReset((group, topic) => this.onOffsetsReloaded(group, topic));
    this.scheduler = new FlushScheduler(
      {
        buffered: () => this.buffer.events,
        flushOnce: () => this.flushOnce(),
        onFailure: (error, attempt, retryInMs) => this.onFlushFailure(error, attempt, retryInMs),
      },
      {
        intervalMs: settings.flushIntervalMs,
        flushAtSize: settings.flushAtSize,
        backoff: settings.backoff,
      },
    );
    this.scheduler.start();
  }

  /**
   * Buffers the events (mapping and validating them synchronously: a mapper that throws makes
   * add() throw and buffers nothing) and returns a promise that resolves once they are
   * committed. It rejects only with a {@link WorkDiscardedError} (the queue closed, or the
   * partition was fenced or reassigned): the events were not applied and must be left
   * unacknowledged for redelivery. Events of one partition must be added in offset order.
   */
  add(events: IncomingEvent<TEvent> | readonly IncomingEvent<TEvent>[]): Promise<void> {
    if (this.state === 'closed') return Promise.reject(new WorkQueueClosedError(this.name));
    if (Array.isArray(events))
      for (const event of events as readonly IncomingEvent<TEvent>[]) this.noteStream(event.stream);
    else this.noteStream((events as IncomingEvent<TEvent>).stream);
    const settled = this.buffer.add(events);
    if (tracingEnabled()) this.links.capture();
    if (!this.paused && this.depth >= this.settings.highWatermark) this.setPaused(true);
    this.scheduler.notify(this.buffer.events);
    return settled;
  }

  /**
   * Flushes now (not waiting for the interval); settles when everything added so far is
   * committed, rejecting as add() does if some of it was discarded.
   */
  flush(): Promise<void> {
    const buckets = [...this.buffer.buckets.values(), ...(this.flushing?.buckets.values() ?? [])];
    this.scheduler.requestFlush();
    return Promise.all(buckets.map((bucket) => bucket.promise)).then(() => undefined);
  }

  /** Calls `listener` with the partitions a flush found fenced; returns the unsubscribe function. */
  onFenced(listener: (errors: readonly PartitionFencedError[]) => void): () => void {
    this.fencedListeners.add(listener);
    return () => this.fencedListeners.delete(listener);
  }

  /** Events buffered or being flushed. */
  get depth(): number {
    return this.buffer.events + (this.flushing?.events ?? 0);
  }

  status(): WorkQueueStatus {
    return {
      name: this.name,
      state: this.state,
      depth: this.depth,
      paused: this.paused,
      failing: this.failing && { ...this.failing },
      flushRunningMs:
        this.flushStartedAt === undefined ? undefined : Date.now() - this.flushStartedAt,
    };
  }

  /**
   * The final flush: keeps accepting add()s while it flushes back to back until the buffer is
   * empty (retrying a failing database until `closeTimeoutMs`), then refuses new ones. What
   * could not be written by then is discarded (its add() promises reject, so the transport does
   * not acknowledge it and the broker delivers it again). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    this.state = 'closing';
    await this.scheduler.drain(this.settings.closeTimeoutMs);
    this.state = 'closed';
    const left = this.buffer.remove(() => true);
    if (left.length > 0) {
      const events = left.reduce((sum, bucket) => sum + bucket.events, 0);
      this.logger.error(
        `closed with ${events} events unwritten (${this.failing?.error ?? 'timed out'}); they will be redelivered`,
      );
      this.discard(
        left,
        new WorkDiscardedError(
          `work queue ${this.name} closed before writing these events`,
          'shutdown',
        ),
      );
    }
    this.unsubscribe();
    this.deps.ledger.release(this.name);
    this.setPaused(false);
  }

  private noteStream(stream: string): void {
    if (stream === this.lastStream) return;
    if (!this.streams.has(stream)) {
      // Throws (before anything is buffered) when another queue already stores this stream's offsets.
      if (this.settings.trackOffsets)
        this.deps.ledger.claim(this.settings.group, stream, this.name);
      this.streams.add(stream);
      if (this.paused) this.deps.pauser.pause(this, stream);
    }
    this.lastStream = stream;
  }

  private async flushOnce(): Promise<void> {
    const batch = this.buffer;
    this.buffer = batch.fresh();
    this.flushing = batch;
    this.reloadedDuringFlush.clear();
    // Expectations are taken now, with the batch: a reload from here on starts a new generation
    // that this batch's commit must not advance (its events belong to the old assignment).
    const offsets = this.settings.trackOffsets
      ? planOffsetWrites(
          batch.buckets.values(),
          this.deps.ledger,
          this.settings.group,
          (bucket, stored) => this.warnOutOfOrder(bucket, stored),
        )
      : undefined;
    const started = performance.now();
    this.flushStartedAt = Date.now();
    this.deps.metrics.depth(this.depth);
    const links = this.links.take();
    const span = tracingEnabled() ? links.startSpan(this.name) : undefined;
    try {
      const outcome = await runTransaction(
        this.deps.dataSource,
        this.name,
        this.settings.flushTimeoutMs,
        (runner) =>
          writeBatchInTransaction(runner, batch, {
            group: this.settings.group,
            offsets,
            dedupeScope: this.settings.dedupe ? this.settings.dedupeScope : undefined,
            write: this.write,
          }),
      );
      this.flushing = undefined;
      this.deps.metrics.flushed(
        (performance.now() - started) / 1000,
        'ok',
        outcome.events,
        outcome.rows,
      );
      endFlushSpan(span, { events: outcome.events });
      this.settle(outcome);
    } catch (error) {
      endFlushSpan(span, { error });
      this.links.restore(links);
      // Nothing of the batch was applied (the transaction rolled back): it becomes the buffer
      // again, older than what arrived meanwhile, so a retry writes both exactly once.
      this.flushing = undefined;
      if (this.reloadedDuringFlush.size > 0) this.dropStale(batch, [...this.reloadedDuringFlush]);
      batch.absorb(this.buffer);
      this.buffer = batch;
      this.deps.metrics.flushed((performance.now() - started) / 1000, 'failed', 0, 0);
      throw error;
    } finally {
      this.flushStartedAt = undefined;
      this.afterFlush();
    }
  }

  /** Logged once per partition; see {@link planOffsetWrites} for why it matters. */
  private warnOutOfOrder(bucket: PartitionBucket<TOut>, stored: string): void {
    if (this.outOfOrderWarned.has(bucket.id)) return;
    this.outOfOrderWarned.add(bucket.id);
    this.logger.error(
      `${bucket.topic}[${bucket.partition}]: offset ${bucket.minOffset} added after offset ${stored} was stored; ` +
        'events must be added in partition order (use @Batch handlers), or a crash can skip events',
    );
  }

  private settle(outcome: FlushOutcome<TOut>): void {
    const { group } = this.settings;
    for (const a of outcome.advances)
      this.deps.ledger.advance(group, a.topic, a.partition, a.generation, a.next);
    for (const bucket of outcome.committed) bucket.resolve();
    for (const bucket of outcome.landed) bucket.resolve();
    if (outcome.landed.length > 0) {
      this.logger.warn(
        `${outcome.landed.map((b) => `${b.topic}[${b.partition}]`).join(', ')}: offsets already stored by an earlier ` +
          'attempt whose commit landed after it timed out; not written again',
      );
    }
    this.deps.metrics.events('applied', outcome.applied);
    this.deps.metrics.events('duplicate', outcome.events - outcome.applied);
    if (this.failing) {
      this.logger.log(`flushing again after ${this.failing.attempts} failed attempts`);
      this.failing = undefined;
    }
    if (outcome.fenced.length === 0) return;
    const errors = outcome.fenced.map(
      (f) => new PartitionFencedError(f.bucket.topic, f.bucket.partition, f.expected, f.stored),
    );
    outcome.fenced.forEach((f, i) => this.discard([f.bucket], errors[i], 'fenced'));
    this.logger.warn(`dropped fenced partitions: ${errors.map((e) => e.message).join('; ')}`);
    for (const listener of this.fencedListeners) listener(errors);
  }

  private onFlushFailure(error: unknown, attempt: number, retryInMs: number): void {
    const message = error instanceof Error ? error.message : String(error);
    this.failing = {
      sinceMs: this.failing?.sinceMs ?? Date.now(),
      attempts: attempt,
      error: message,
    };
    if (attempt <= 2 || attempt % LOG_EVERY_ATTEMPTS === 0) {
      this.logger.warn(
        `flush failed (attempt ${attempt}, ${this.depth} events kept, retry in ${retryInMs} ms): ${message}`,
      );
    }
    // A transport may have resumed on its own (rebalance, reconnect) while we are still full.
    if (this.paused) for (const stream of this.streams) this.deps.pauser.reassert(this, stream);
  }

  /** The transport was (re)assigned `topic`: buffered events of the old assignment are stale. */
  private onOffsetsReloaded(group: string, topic: string): void {
    if (!this.settings.trackOffsets || group !== this.settings.group) return;
    if (this.flushing !== undefined) this.reloadedDuringFlush.add(topic);
    this.dropStale(this.buffer, [topic]);
    this.afterFlush();
  }

  /** Discards `buffer`'s events of reloaded topics; the transport re-reads them from the stored offsets. */
  private dropStale(buffer: WorkBuffer<TEvent, TOut>, topics: readonly string[]): void {
    const stale = buffer.remove((bucket) => bucket.tracked && topics.includes(bucket.topic));
    const error = new WorkDiscardedError(
      `offsets of ${topics.join(', ')} were reloaded (partitions reassigned)`,
      'reassigned',
    );
    this.discard(stale, error);
  }

  private discard(
    buckets: readonly PartitionBucket<TOut>[],
    error: unknown,
    outcome: 'fenced' | 'discarded' = 'discarded',
  ): void {
    for (const bucket of buckets) {
      bucket.reject(error);
      this.deps.metrics.events(outcome, bucket.events);
    }
  }

  private afterFlush(): void {
    const depth = this.depth;
    this.deps.metrics.depth(depth);
    if (this.paused && depth <= this.settings.lowWatermark) this.setPaused(false);
    else if (!this.paused && depth >= this.settings.highWatermark) this.setPaused(true);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const stream of this.streams) {
      if (paused) this.deps.pauser.pause(this, stream);
      else this.deps.pauser.resume(this, stream);
    }
    this.deps.metrics.paused(paused);
  }
}
