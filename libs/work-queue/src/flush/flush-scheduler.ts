import { backoffDelay, type BackoffPolicy } from '../backoff';

/** What the scheduler drives: a buffer that can be written out. */
export interface FlushTask {
  /** Events waiting in the buffer (a flush in progress not counted). */
  buffered(): number;
  /** Writes the buffer out; throws when the flush failed (the task keeps the data). */
  flushOnce(): Promise<void>;
  /** Told after each failed flush, before the backoff wait. */
  onFailure(error: unknown, attempt: number, retryInMs: number): void;
}

/** When to flush. */
export interface FlushTiming {
  readonly intervalMs: number;
  readonly flushAtSize: number;
  readonly backoff: BackoffPolicy;
}

interface Sleeper {
  /** notify() ends the sleep once this many events are buffered (Infinity: only the timer). */
  readonly wakeAt: number;
  readonly done: () => void;
}

/**
 * The flush loop of one queue. Flushes start at most every interval (measured start to start,
 * so a steady stream is written at the configured cadence: an event waits at most one interval
 * plus the flush that writes it) and never overlap: a flush that took longer than the interval is
 * followed at once by the next. The buffer reaching `flushAtSize` starts one at once too. An empty buffer
 * sleeps without a timer until the first add. A failed flush is retried right after an
 * exponential backoff, which adds do not cut short. drain() switches to flushing back to back until the
 * buffer is empty or its deadline passes, and ends the loop.
 */
export class FlushScheduler {
  private lastStart = 0;
  private failures = 0;
  private urgent = false;
  private draining = false;
  private deadline = Infinity;
  private sleeper?: Sleeper;
  private running?: Promise<void>;

  constructor(
    private readonly task: FlushTask,
    private readonly timing: FlushTiming,
  ) {}

  start(): void {
    this.running ??= this.loop();
  }

  /** Called after each add with the buffered count; wakes the loop when it should flush. */
  notify(buffered: number): void {
    const sleeper = this.sleeper;
    if (sleeper !== undefined && buffered >= sleeper.wakeAt) sleeper.done();
  }

  /** Flushes as soon as the current flush (if any) and backoff (if failing) allow. */
  requestFlush(): void {
    this.urgent = true;
    if (this.sleeper !== undefined && this.sleeper.wakeAt !== Infinity) this.sleeper.done();
  }

  /** Flushes until the buffer is empty or `timeoutMs` passed, then stops the loop. */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    this.deadline = Date.now() + timeoutMs;
    if (this.sleeper !== undefined && this.sleeper.wakeAt !== Infinity) this.sleeper.done();
    this.start();
    await this.running;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.draining) {
        if (this.task.buffered() === 0 || Date.now() >= this.deadline) return;
      } else if (!(await this.awaitTurn())) {
        continue;
      }
      this.lastStart = Date.now();
      try {
        await this.task.flushOnce();
        this.failures = 0;
      } catch (error) {
        this.failures++;
        const delay = backoffDelay(this.failures, this.timing.backoff);
        this.task.onFailure(error, this.failures, delay);
        const wait = this.draining
          ? Math.min(delay, Math.max(0, this.deadline - Date.now()))
          : delay;
        await this.sleep(wait, Infinity);
        // The kept batch is overdue already: retry right after the backoff, not an interval later.
        this.urgent = true;
      }
    }
  }

  /** Waits until a flush is due; false when drain() interrupted the wait. */
  private async awaitTurn(): Promise<boolean> {
    for (;;) {
      if (this.draining) return false;
      const buffered = this.task.buffered();
      if (buffered === 0) {
        this.urgent = false;
        await this.sleep(Infinity, 1);
        continue;
      }
      if (this.urgent || buffered >= this.timing.flushAtSize) {
        this.urgent = false;
        return true;
      }
      const dueIn = this.lastStart + this.timing.intervalMs - Date.now();
      if (dueIn <= 0) return true;
      await this.sleep(dueIn, this.timing.flushAtSize);
    }
  }

  private sleep(ms: number, wakeAt: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const sleeper: Sleeper = {
        wakeAt,
        done: () => {
          if (this.sleeper === sleeper) this.sleeper = undefined;
          clearTimeout(timer);
          resolve();
        },
      };
      if (ms !== Infinity) timer = setTimeout(sleeper.done, ms);
      this.sleeper = sleeper;
    });
  }
}
