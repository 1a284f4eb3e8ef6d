import { Logger, type LoggerService } from '@nestjs/common';
import { EventPublisher, QueueError, type OutgoingMessage } from '@lib/queue';
import { PUBLISH_ACK_TIMEOUT_DEFAULT_MS, withinAckBound } from './ack-bound';
import { FileSpool } from './file-spool';
import type { FileSpoolOptions, SpoolFullPolicy } from './file-spool.options';
import { PublishBreaker, type BreakerSettings, type BreakerState } from './publish-breaker';
import { LateAcks } from './late-acks';
import { DRAIN_DEFAULTS, SpoolDrainer, type DrainSettings } from './spool-drainer';
import { SpoolClosedError } from './spool.errors';
import { endSpans, startPublishSpan } from './spool-tracing';

/** How a {@link SpoolingPublisher} behaves; the spool itself is configured separately. */
export interface SpoolingPublisherOptions {
  /** Names the spool in logs, health and metrics (`ingest`, `app-logs`, …). */
  readonly name: string;
  readonly breaker?: Partial<BreakerSettings>;
  readonly drain?: Partial<DrainSettings>;
  /**
   * How long a caller waits for the broker's ack before its events are spooled instead (default
   * {@link PUBLISH_ACK_TIMEOUT_DEFAULT_MS}). The publish goes on; should the broker still ack
   * it, the spooled copies are skipped on replay.
   */
  readonly ackTimeoutMs?: number;
  /**
   * Whether `close()` also closes the inner publisher. Default false: the module that made the
   * inner publisher closes it, in the same shutdown phase.
   */
  readonly closeInner?: boolean;
  readonly logger?: LoggerService;
}

/** What the publisher has done since it started, and the state of its breaker and spool. */
export interface SpoolingPublisherStats {
  readonly name: string;
  readonly breaker: BreakerState;
  /** Records waiting in the spool. */
  readonly depth: number;
  /** Bytes waiting in the spool. */
  readonly bytes: number;
  /** Epoch ms when the oldest event waiting in the spool was spooled; undefined when none waits. */
  readonly oldestAt?: number;
  /** The spool's cap in bytes. */
  readonly maxBytes: number;
  /** The spool refuses appends for lack of room. */
  readonly full: boolean;
  readonly fullPolicy: SpoolFullPolicy;
  /** Events handed to `publish`. */
  readonly accepted: number;
  /** Events the broker acknowledged on the direct path. */
  readonly published: number;
  /** Events written to the spool instead. */
  readonly spooled: number;
  /** Spooled events the broker has acknowledged since. */
  readonly replayed: number;
  /** Events refused to the caller (spool full, closed, or a non-retriable broker error). */
  readonly rejected: number;
  /** Spooled events lost to the `drop-oldest` policy. */
  readonly dropped: number;
  /** Events whose direct publish outlived the ack bound (and were spooled). */
  readonly timedOut: number;
  /** Of those, events the broker acknowledged later: their spooled copies are not replayed. */
  readonly acknowledgedLate: number;
}

type Counter = 'accepted' | 'published' | 'spooled' | 'replayed' | 'rejected' | 'timedOut';

/**
 * An EventPublisher that keeps accepting events while the broker is down. While the breaker is
 * closed, the connection is up and nothing is spooled, events go straight to the broker
 * (resolving on its ack). When the breaker is open, the connection is known down, a publish
 * fails, or it is not acknowledged within `ackTimeoutMs`, or the spool already holds events,
 * they are appended to the local spool instead (resolving after the fsync), so order is kept:
 * once something is spooled, later events queue behind it until the drainer has replayed it.
 * `publish` rejects only when the spool cannot take the events (SpoolFullError under `reject`).
 *
 * A publish past the ack bound goes on; the drainer waits for its outcome before replaying and
 * skips the spooled copies of events the broker acknowledged late, so they reach the topic once.
 * Delivery is still at least once: a crash between a replay and its spool ack, or an ack later
 * than the breaker's timeout, replays events again; consumers remove duplicates by eventId.
 */
export class SpoolingPublisher extends EventPublisher {
  private readonly logger: LoggerService;
  private readonly breaker: PublishBreaker;
  private readonly drainer: SpoolDrainer;
  private readonly counts: Record<Counter, number> = {
    accepted: 0,
    published: 0,
    spooled: 0,
    replayed: 0,
    rejected: 0,
    timedOut: 0,
  };
  private readonly lateAcks = new LateAcks();
  private readonly ackTimeoutMs: number;
  /** Appends not yet resolved: they count as "something is spooled" for the order rule. */
  private appending = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private closing?: Promise<void>;

  /** Wraps `inner`; the spool must be open and is owned (closed) by this publisher from now on. */
  constructor(
    private readonly inner: EventPublisher,
    private readonly spool: FileSpool<OutgoingMessage>,
    private readonly options: SpoolingPublisherOptions,
  ) {
    super();
    this.logger = options.logger ?? new Logger(`spool ${options.name}`);
    this.ackTimeoutMs = options.ackTimeoutMs ?? PUBLISH_ACK_TIMEOUT_DEFAULT_MS;
    this.breaker = new PublishBreaker(
      (messages) => inner.publish(messages),
      options.breaker ?? {},
      options.name,
    );
    this.drainer = new SpoolDrainer(
      spool,
      this.breaker,
      { ...DRAIN_DEFAULTS, ...options.drain },
      {
        replayed: (count) => this.replayed(count),
        failed: (error, failures) => {
          if (failures === 1)
            this.logger.warn(`replaying the spool failed, backing off: ${describe(error)}`);
        },
      },
      this.lateAcks,
    );
    this.breaker.onChange((state) => {
      if (state === 'open') {
        this.logger.warn(
          `publishing is failing: breaker open, events go to the spool (${this.spool.depth()} waiting)`,
        );
      } else if (state === 'closed') {
        this.logger.log(
          `breaker closed: publishing again (${this.spool.depth()} spooled events to replay)`,
        );
      }
      this.drainer.wake();
    });
    if (spool.depth() > 0)
      this.logger.log(`${spool.depth()} events from an earlier run are waiting in the spool`);
    this.drainer.start();
  }

  /** Opens the spool in `spool.directory` (recovering what an earlier run left) and wraps `inner`. */
  static async open(
    inner: EventPublisher,
    spool: FileSpoolOptions,
    options: SpoolingPublisherOptions,
  ): Promise<SpoolingPublisher> {
    return new SpoolingPublisher(inner, await FileSpool.open<OutgoingMessage>(spool), options);
  }

  /**
   * Resolves once the broker acknowledged the events or the spool has them on disk; rejects with
   * SpoolFullError when the broker is unavailable and the spool has no room.
   */
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closing)
      return Promise.reject(new SpoolClosedError('the spooling publisher is closed'));
    if (messages.length === 0) return Promise.resolve();
    const work = this.deliver(messages);
    this.inFlight.add(work);
    return work.finally(() => this.inFlight.delete(work));
  }

  /** Whether the inner publisher is connected (spooling works either way). */
  isConnected(): boolean {
    return this.inner.isConnected();
  }

  /**
   * Stops replaying after the batch in flight; the rest stays in the spool for the next start.
   * Publishing keeps working (to the broker or the spool). Idempotent.
   */
  stopDraining(): Promise<void> {
    return this.drainer.stop();
  }

  /**
   * Stops the drainer (finishing its current batch), waits for publishes in progress, closes the
   * spool, and the inner publisher when `closeInner` is set. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** The breaker state, the spool's size and the counters. */
  stats(): SpoolingPublisherStats {
    const spool = this.spool.stats();
    return {
      name: this.options.name,
      breaker: this.breaker.state,
      depth: spool.depth,
      bytes: spool.bytes,
      oldestAt: spool.oldestAppendedAt,
      maxBytes: spool.maxBytes,
      full: spool.full,
      fullPolicy: spool.fullPolicy,
      ...this.counts,
      dropped: spool.dropped,
      acknowledgedLate: this.lateAcks.acknowledgedLate,
    };
  }

  private async deliver(messages: readonly OutgoingMessage[]): Promise<void> {
    const count = messages.length;
    this.counts.accepted += count;
    let spooled = true;
    if (this.mayPublishDirectly()) {
      const span = startPublishSpan('publish', messages);
      const attempt = this.breaker.fire(messages);
      if (span)
        attempt.then(
          () => endSpans([span]),
          (error: unknown) => endSpans([span], error),
        );
      try {
        if ((await withinAckBound(attempt, this.ackTimeoutMs)) === 'acked') {
          this.counts.published += count;
          return;
        }
        // Not acknowledged within the bound: spool now, and learn the attempt's outcome later.
        this.counts.timedOut += count;
        this.lateAcks.follow(
          attempt,
          messages,
          () => spooled,
          () => this.drainer.wake(),
        );
      } catch (error) {
        if (!isSpoolable(error)) {
          this.counts.rejected += count;
          throw error;
        }
        // Broker down or breaker open: keep the events locally instead.
      }
    }
    this.appending++;
    const span = startPublishSpan('spool append', messages);
    try {
      await this.spool.append(messages.map(toRecord));
      this.counts.spooled += count;
      endSpans([span]);
    } catch (error) {
      spooled = false;
      this.counts.rejected += count;
      endSpans([span], error);
      throw error;
    } finally {
      this.appending--;
    }
    this.drainer.wake();
  }

  /**
   * Direct only while nothing is (being) spooled, so spooled events are never overtaken, and
   * while the connection is up: a publish known to fail would only delay the caller.
   */
  private mayPublishDirectly(): boolean {
    return (
      this.appending === 0 &&
      this.spool.depth() === 0 &&
      this.lateAcks.unsettled === 0 &&
      this.breaker.allowsCall &&
      this.inner.isConnected()
    );
  }

  private replayed(count: number): void {
    this.counts.replayed += count;
    if (this.spool.depth() === 0)
      this.logger.log(`spool drained (${this.counts.replayed} events replayed so far)`);
  }

  private async shutdown(): Promise<void> {
    await this.drainer.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.spool.close();
    this.breaker.shutdown();
    if (this.options.closeInner) await this.inner.close();
  }
}

/** Only what the broker needs is stored: stream, key, value and headers. */
function toRecord(message: OutgoingMessage): OutgoingMessage {
  const { stream, key, value, headers } = message;
  return headers ? { stream, key, value, headers } : { stream, key, value };
}

/** A broker that refused the events for good would refuse them on replay too: tell the caller. */
function isSpoolable(error: unknown): boolean {
  return !(error instanceof QueueError && !error.retriable);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
