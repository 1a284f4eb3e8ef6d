import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingMessage } from '@lib/queue';
import type { FileSpool } from './file-spool';
import type { PublishBreaker } from './publish-breaker';
import { Wakeup } from './wakeup';

/** How the drainer replays the spool. */
export interface DrainSettings {
  /** Records per replayed publish. */
  readonly batchSize: number;
  /** Bytes (framed) per replayed publish; keep under the broker's request limit (Kafka: 1 MiB). */
  readonly batchBytes: number;
  /** First wait after a failed replay while the breaker is still closed; doubles up to the max. */
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
}

/** Defaults of {@link DrainSettings}. */
export const DRAIN_DEFAULTS: DrainSettings = {
  batchSize: 500,
  batchBytes: 512 * 1024,
  minBackoffMs: 100,
  maxBackoffMs: 5_000,
};

/** What the drainer reports. */
export interface DrainerEvents {
  replayed(count: number): void;
  failed(error: unknown, consecutiveFailures: number): void;
}

/**
 * Replays the spool to the broker in order, one batch at a time: read the oldest records,
 * publish them through the breaker, and acknowledge them in the spool only after the broker
 * acknowledged them. It sleeps while the spool is empty or the breaker is open (woken by
 * appends and breaker state changes), and backs off after a failure while the breaker is closed.
 */
export class SpoolDrainer {
  private readonly wakeup = new Wakeup();
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly spool: FileSpool<OutgoingMessage>,
    private readonly breaker: PublishBreaker,
    private readonly settings: DrainSettings,
    private readonly events: DrainerEvents,
  ) {}

  /** Starts the replay loop (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Something changed (records appended, breaker state): look again. */
  wake(): void {
    this.wakeup.notify();
  }

  /** Stops after the batch in flight (its publish and ack finish); idempotent. */
  stop(): Promise<void> {
    this.stopping.abort();
    this.wakeup.notify();
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      if (this.spool.depth() === 0 || !this.breaker.allowsCall) {
        await this.wakeup.wait();
        continue;
      }
      try {
        const batch = await this.spool.readBatch(this.settings.batchSize, this.settings.batchBytes);
        if (batch.records.length === 0) {
          await this.wakeup.wait();
          continue;
        }
        await this.breaker.fire(batch.records);
        await this.spool.ack(batch.cursor);
        failures = 0;
        this.events.replayed(batch.records.length);
      } catch (error) {
        // Refused by an open breaker (or a probe already taken): wait for its next state change.
        if (this.breaker.isRefusal(error)) continue;
        failures++;
        this.events.failed(error, failures);
        await this.backOff(failures);
      }
    }
  }

  private async backOff(failures: number): Promise<void> {
    const { minBackoffMs, maxBackoffMs } = this.settings;
    const delay = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(failures - 1, 30));
    try {
      // Not ref'd: a drainer waiting to retry must not keep a finished process alive.
      await sleep(delay, undefined, { signal: this.stopping.signal, ref: false });
    } catch {
      // Aborted by stop().
    }
  }
}
