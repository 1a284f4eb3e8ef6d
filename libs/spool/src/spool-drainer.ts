import { setTimeout as sleep } from 'node:timers/promises';
import type { OutgoingMessage } from '@lib/queue';
import type { FileSpool } from './file-spool';
import type { PublishBreaker } from './publish-breaker';
import { endSpans, startReplaySpans } from './spool-tracing';
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

/** What the drainer asks before a replay: direct publishes whose outcome is still open, and their acks. */
export interface DrainerGuard {
  /** Resolves once every direct publish that outlived its ack bound has settled. */
  settled(): Promise<void>;
  /** True when the broker already acknowledged this record's event (a late ack): skip it. */
  delivered(record: OutgoingMessage): boolean;
  /** The skipped records are acknowledged in the spool: forget their late acks. */
  forget(records: readonly OutgoingMessage[]): void;
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
  private readonly stopped = new Promise<void>((resolve) =>
    this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  private loop?: Promise<void>;

  constructor(
    private readonly spool: FileSpool<OutgoingMessage>,
    private readonly breaker: PublishBreaker,
    private readonly settings: DrainSettings,
    private readonly events: DrainerEvents,
    private readonly guard?: DrainerGuard,
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
        // A late ack must be known before its events' spooled copies are read, or they go twice.
        if (this.guard && !(await this.guardSettled(this.guard))) continue;
        const batch = await this.spool.readBatch(this.settings.batchSize, this.settings.batchBytes);
        if (batch.records.length === 0) {
          await this.wakeup.wait();
          continue;
        }
        const { send, skip } = this.split(batch.records);
        if (send.length > 0) await this.replay(send);
        await this.spool.ack(batch.cursor);
        this.guard?.forget(skip);
        failures = 0;
        this.events.replayed(send.length);
      } catch (error) {
        // Refused by an open breaker (or a probe already taken): wait for its next state change.
        if (this.breaker.isRefusal(error)) continue;
        failures++;
        this.events.failed(error, failures);
        await this.backOff(failures);
      }
    }
  }

  /** Publishes spooled records; with tracing on, in spans that continue their requests' traces. */
  private async replay(records: OutgoingMessage[]): Promise<void> {
    const spans = startReplaySpans(records);
    try {
      await this.breaker.fire(records);
    } catch (error) {
      endSpans(spans, error);
      throw error;
    }
    endSpans(spans);
  }

  /** Waits for the guard's open publishes; false when stop() came first. */
  private async guardSettled(guard: DrainerGuard): Promise<boolean> {
    await Promise.race([guard.settled(), this.stopped]);
    return !this.stopping.signal.aborted;
  }

  /** The records to replay, and those the broker acknowledged already (late) to skip. */
  private split(records: OutgoingMessage[]): { send: OutgoingMessage[]; skip: OutgoingMessage[] } {
    const guard = this.guard;
    if (!guard) return { send: records, skip: [] };
    const send: OutgoingMessage[] = [];
    const skip: OutgoingMessage[] = [];
    for (const record of records) (guard.delivered(record) ? skip : send).push(record);
    return { send, skip };
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
