import type { LoggerService } from '@nestjs/common';
import { HEADERS } from '@lib/contracts';
import type { LogRecord, RingLogSink } from '@lib/observability';
import type { EventPublisher, OutgoingMessage } from '@lib/queue';

/** The stream log records go to (docs/contract.md). */
export const APP_LOGS_STREAM = 'app-logs';

/** When and how much the shipper sends. */
export interface LogShipperSettings {
  /** A batch is sent at least this often while records wait. Default 200 ms. */
  readonly intervalMs: number;
  /** A batch is sent as soon as this many records wait, and holds at most this many. Default 500. */
  readonly batchSize: number;
  /** How often the ring's size is looked at between intervals. Default 25 ms. */
  readonly pollMs: number;
}

export const LOG_SHIPPER_DEFAULTS: LogShipperSettings = {
  intervalMs: 200,
  batchSize: 500,
  pollMs: 25,
};

/** What the shipper has done since it started. */
export interface LogShipperStats {
  /** Records handed to the publisher and accepted (sent to the broker or spooled). */
  readonly shipped: number;
  /** Records the publisher refused (spool closed, non-retriable broker error): lost. */
  readonly rejected: number;
  /** Records waiting in the ring. */
  readonly pending: number;
  /** Records the ring overwrote before they were shipped. */
  readonly ringDropped: number;
}

/**
 * Drains a {@link RingLogSink} onto the `app-logs` stream, one publish at a time: every
 * `intervalMs`, or as soon as `batchSize` records wait. The publisher is a spooling one with the
 * `drop-oldest` policy, so a publish does not fail while the broker is away; a slow publish only
 * lets records pile up in the ring, which overwrites (and counts) its oldest. Nothing here ever
 * blocks or fails the request that produced a record.
 */
export class LogShipper {
  private readonly settings: LogShipperSettings;
  private timer?: NodeJS.Timeout;
  private shipping?: Promise<void>;
  private lastShipAt = 0;
  private stopped = false;
  private shipped = 0;
  private rejected = 0;

  constructor(
    private readonly ring: RingLogSink,
    private readonly publisher: EventPublisher,
    private readonly logger: LoggerService,
    settings: Partial<LogShipperSettings> = {},
  ) {
    this.settings = { ...LOG_SHIPPER_DEFAULTS, ...settings };
  }

  /** Starts the timer; idempotent. */
  start(): void {
    if (this.timer || this.stopped) return;
    this.lastShipAt = Date.now();
    this.timer = setInterval(() => this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  /** Ships everything waiting now (after the publish in flight); resolves when it is accepted. */
  async flush(): Promise<void> {
    while (this.shipping) await this.shipping;
    while (this.ring.size > 0) {
      const before = this.ring.size;
      await this.shipOnce();
      if (this.ring.size >= before) break; // nothing taken: give up rather than spin
    }
  }

  /** Stops the timer and makes a final flush; records written afterwards stay in the ring. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  stats(): LogShipperStats {
    return {
      shipped: this.shipped,
      rejected: this.rejected,
      pending: this.ring.size,
      ringDropped: this.ring.dropped,
    };
  }

  private tick(): void {
    if (this.shipping || this.ring.size === 0) return;
    const due = Date.now() - this.lastShipAt >= this.settings.intervalMs;
    if (!due && this.ring.size < this.settings.batchSize) return;
    void this.shipOnce();
  }

  /** Sends one batch; never rejects. */
  private shipOnce(): Promise<void> {
    const work = this.sendBatch().finally(() => {
      if (this.shipping === work) this.shipping = undefined;
    });
    this.shipping = work;
    return work;
  }

  private async sendBatch(): Promise<void> {
    this.lastShipAt = Date.now();
    const records = this.ring.drain(this.settings.batchSize);
    if (records.length === 0) return;
    try {
      await this.publisher.publish(records.map(toMessage));
      this.shipped += records.length;
    } catch (error) {
      // Spool closed (shutting down) or refused by the broker: these records are lost, counted.
      this.rejected += records.length;
      try {
        this.logger.warn(
          `could not ship ${records.length} log records (${(error as Error)?.message ?? error}); dropped`,
        );
      } catch {
        // stdout gone: nothing to do.
      }
    }
  }
}

/** The `app-logs` message of one record: key = service, value = record + receivedAt. */
export function toMessage(record: LogRecord): OutgoingMessage {
  return {
    stream: APP_LOGS_STREAM,
    key: record.service,
    value: { ...record, receivedAt: new Date().toISOString() },
    headers: { [HEADERS.eventId]: record.eventId, [HEADERS.eventType]: APP_LOGS_STREAM },
  };
}
