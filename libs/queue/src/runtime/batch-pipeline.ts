import type { IncomingEvent } from '../incoming-event';
import type { BatchResult } from '../queue.decorators';
import { toIncomingEvent, type RawMessage } from './envelope';
import { DeliveredEvents } from './delivered-events';
import { PartitionPipeline } from './pipeline-core';

/**
 * Batch mode (`@Batch(n)`): records are grouped in partition order into arrays of at most n and
 * handed to the handler in order; up to `binding.concurrency` batches may be outstanding (1 by
 * default: the next batch starts when the previous one settled). A thrown error fails the whole
 * batch; a returned {@link BatchResult} fails only the events it names.
 */
export class BatchPipeline extends PartitionPipeline {
  /**
   * Records waiting for a batch from `bufferHead` on. Their sequence numbers are consecutive
   * (every record of the pipeline goes through the buffer), from `bufferSequence`.
   */
  private buffer: RawMessage[] = [];
  private bufferHead = 0;
  private bufferSequence = 0;
  private startScheduled = false;
  private outstandingBatches = 0;
  private batchWaiters: Array<() => void> = [];
  /** While true no new batch starts (see {@link hold}). */
  private held = false;

  /**
   * Holds back the records already read (no new batch starts) while the stream is paused on
   * purpose, e.g. by a full work queue, and lets them go on release. Pausing the transport alone
   * stops the next fetch, but a fetch already read can hold thousands of records, and handing
   * them on would fill the paused work queue far past its watermark.
   */
  override hold(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held && this.buffered > 0) this.startInThisTurn();
  }

  async idle(): Promise<void> {
    while (this.outstandingBatches > 0 || this.buffered > 0) {
      await new Promise<void>((resolve) => this.batchWaiters.push(resolve));
    }
  }

  protected start(raw: RawMessage, sequence: number): void {
    if (this.bufferHead === this.buffer.length) this.bufferSequence = sequence;
    this.buffer.push(raw);
    this.startAfterTransportTurn();
  }

  protected dropUnstarted(): void {
    this.buffer = [];
    this.bufferHead = 0;
  }

  /** Records waiting in the buffer. */
  private get buffered(): number {
    return this.buffer.length - this.bufferHead;
  }

  /**
   * Starts batches in the check phase of this turn of the event loop (setImmediate), used after
   * new records and after each started batch. Why: records dispatched in one go form one batch
   * rather than 1 + the rest; the transport's callback returns first, so kafkajs sends its next
   * fetch (it fetches again only once eachBatch returned) and the broker prepares it while these
   * records are handled, as the Java consumer pipelines fetches; and a handler's synchronous part
   * (a work queue's add) has run before the next batch starts, so a pause it causes stops the
   * rest of the buffer (a paused stream overshoots its work queue's watermark by one batch, not
   * one fetch).
   */
  private startAfterTransportTurn(): void {
    if (this.startScheduled) return;
    this.startScheduled = true;
    setImmediate(this.startBound);
  }

  /**
   * Starts batches in a microtask, within the same turn: after a batch settled or a hold was
   * released. Why: nothing new is being read, so there is nothing to wait for.
   */
  private startInThisTurn(): void {
    if (this.startScheduled) return;
    this.startScheduled = true;
    queueMicrotask(this.startBound);
  }

  private readonly startBound = () => this.startBatches();

  private startBatches(): void {
    this.startScheduled = false;
    if (this.rewinding || this.held) return;
    const size = this.binding.batchSize;
    if (this.buffered === 0 || this.outstandingBatches >= this.binding.concurrency) return;
    // Taken from the head without shifting the rest (a fetch may buffer thousands of records).
    const head = this.bufferHead;
    const end = Math.min(this.buffer.length, head + size);
    const raws =
      head === 0 && end === this.buffer.length ? this.buffer : this.buffer.slice(head, end);
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
    if (this.buffered > 0 && this.outstandingBatches < this.binding.concurrency)
      this.startAfterTransportTurn();
  }

  private readonly settledBound = () => this.batchSettled();

  private batchSettled(): void {
    this.outstandingBatches--;
    if (this.buffered > 0) this.startInThisTurn();
    const waiters = this.batchWaiters;
    this.batchWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Runs one batch: `raws` in partition order, whose sequence numbers are `first`, `first + 1`, … */
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
        result = await this.invoke(
          events,
          new DeliveredEvents(events, raws, indexes),
          indexes === undefined ? raws : indexes.map((i) => raws[i]),
        );
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
      if (pending !== undefined)
        return this.finishWhenSettled(raws, first, handled, pending, failing);
      this.finishHandled(raws, first, handled);
    }
    if (failing.length > 0) await Promise.all(failing);
  }

  /**
   * The handler returned its work still under way ({@link BatchResult.pending}). Holds only the
   * raw records, which a failure needs, until it settles.
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
  for (const entry of failed)
    map.set(entry.eventId, entry.error ?? new Error('failed by the batch handler'));
  return map;
}

/** A {@link BatchResult}'s pending work, if it has any. */
function pendingOf(result: unknown): PromiseLike<unknown> | undefined {
  const pending = (result as BatchResult | undefined | null)?.pending;
  return typeof pending?.then === 'function' ? pending : undefined;
}
