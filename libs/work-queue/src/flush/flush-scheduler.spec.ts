import { setTimeout as sleep } from 'node:timers/promises';
import { FlushScheduler, type FlushTask } from './flush-scheduler';

/** A task whose buffer is a counter and whose flush takes `flushMs` and may be told to fail. */
class CountingTask implements FlushTask {
  pending = 0;
  running = 0;
  maxRunning = 0;
  readonly starts: number[] = [];
  readonly failures: number[] = [];
  failNext = 0;

  constructor(private readonly flushMs: number) {}

  buffered(): number {
    return this.pending;
  }

  async flushOnce(): Promise<void> {
    const taken = this.pending;
    this.pending = 0;
    this.starts.push(Date.now());
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await sleep(this.flushMs);
    this.running--;
    if (this.failNext > 0) {
      this.failNext--;
      this.pending += taken; // a failed flush keeps its data
      throw new Error('database down');
    }
  }

  onFailure(_error: unknown, _attempt: number, retryInMs: number): void {
    this.failures.push(retryInMs);
  }
}

const backoff = { initialMs: 20, factor: 2, maxMs: 80 };

describe('FlushScheduler', () => {
  /** Feeds `task` every 2 ms for `ms` and returns the gaps between flush starts (the drain's excluded). */
  async function gapsUnderSteadyStream(
    task: CountingTask,
    intervalMs: number,
    ms: number,
  ): Promise<number[]> {
    const scheduler = new FlushScheduler(task, { intervalMs, flushAtSize: 1_000_000, backoff });
    scheduler.start();
    const feeding = setInterval(() => {
      task.pending += 10;
      scheduler.notify(task.pending);
    }, 2);
    await sleep(ms);
    clearInterval(feeding);
    const before = task.starts.length;
    await scheduler.drain(1000);
    expect(task.pending).toBe(0);
    expect(task.maxRunning).toBe(1);
    return task.starts.slice(1, before).map((t, i) => t - task.starts[i]);
  }

  it('starts flushes an interval apart (start to start), never overlapping', async () => {
    const gaps = await gapsUnderSteadyStream(new CountingTask(30), 50, 600);
    expect(gaps.length).toBeGreaterThanOrEqual(6);
    // Timers may fire a little early; a flush (30 ms) shorter than the interval does not add to it.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(45);
    expect(Math.min(...gaps)).toBeLessThan(75);
  });

  it('follows a flush longer than the interval at once with the next', async () => {
    const gaps = await gapsUnderSteadyStream(new CountingTask(60), 20, 600);
    // Never overlapping: each gap is at least one flush; and no interval is added after it.
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(55);
    expect(Math.min(...gaps)).toBeLessThan(75);
  });

  it('starts at once when the buffer reaches flushAtSize', async () => {
    const task = new CountingTask(1);
    const scheduler = new FlushScheduler(task, { intervalMs: 10_000, flushAtSize: 100, backoff });
    scheduler.start();
    task.pending = 1;
    scheduler.notify(1);
    await sleep(20); // the first flush of an idle queue is due at once
    expect(task.starts).toHaveLength(1);
    task.pending = 99;
    scheduler.notify(99);
    await sleep(30);
    expect(task.starts).toHaveLength(1); // below the size, the 10 s interval holds
    task.pending = 100;
    scheduler.notify(100);
    await sleep(30);
    expect(task.starts).toHaveLength(2);
    await scheduler.drain(100);
  });

  it('retries a failing flush with growing backoff, not faster when events arrive', async () => {
    const task = new CountingTask(1);
    task.failNext = 4;
    const scheduler = new FlushScheduler(task, { intervalMs: 1, flushAtSize: 1, backoff });
    scheduler.start();
    task.pending = 5;
    scheduler.notify(5);
    const feeding = setInterval(() => scheduler.notify(++task.pending), 1);
    await sleep(400);
    clearInterval(feeding);
    await scheduler.drain(1000);

    expect(task.failures).toEqual([20, 40, 80, 80]);
    const gaps = task.starts.slice(1, 5).map((t, i) => t - task.starts[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(79);
    expect(task.pending).toBe(0);
  });

  it('drains: flushes back to back until empty, and gives up at the deadline', async () => {
    const task = new CountingTask(5);
    const scheduler = new FlushScheduler(task, {
      intervalMs: 60_000,
      flushAtSize: 1_000_000,
      backoff,
    });
    scheduler.start();
    task.pending = 1;
    scheduler.notify(1);
    await sleep(20);
    task.pending = 7;
    await scheduler.drain(1000);
    expect(task.pending).toBe(0);

    const stuck = new CountingTask(1);
    stuck.failNext = Infinity;
    const failing = new FlushScheduler(stuck, { intervalMs: 1, flushAtSize: 1, backoff });
    stuck.pending = 3;
    const started = Date.now();
    await failing.drain(150);
    expect(Date.now() - started).toBeLessThan(400);
    expect(stuck.pending).toBe(3);
  });
});

describe('FlushScheduler after a failure', () => {
  it('retries right after the backoff, not an interval later', async () => {
    const task = new CountingTask(1);
    task.failNext = 1;
    const scheduler = new FlushScheduler(task, { intervalMs: 60_000, flushAtSize: 1_000, backoff });
    scheduler.start();
    task.pending = 1;
    scheduler.notify(1);
    await sleep(100);
    expect(task.starts).toHaveLength(2);
    expect(task.pending).toBe(0);
    await scheduler.drain(100);
  });
});
