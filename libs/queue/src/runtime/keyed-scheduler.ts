/**
 * A first-in first-out list with O(1) take: `Array#shift` moves every remaining element, which
 * is quadratic over the tens of thousands of records a large fetch queues under one key.
 */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  take(): T {
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T; // let it be collected
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** Stands for "no key": events without a key are kept in order among themselves. */
const NO_KEY = '\u0000';

/**
 * Key-ordered concurrency inside one partition: up to `concurrency` items of different keys run
 * at once, items of one key run one after the other in push order. With a concurrency of 1 the
 * keys are ignored and everything runs in push order (the fast path).
 *
 * `run` must not reject (the caller handles failures); a rejection is treated as completion.
 */
export class KeyedScheduler<T> {
  /** Pending items per active key (a key is active while it has an item queued or running). */
  private readonly queues = new Map<string, Fifo<T>>();
  /** Active keys that have an item waiting and none running, oldest first. */
  private ready: string[] = [];
  private readyHead = 0;
  private running = 0;
  private count = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly run: (item: T) => Promise<void>,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
  }

  /** Items queued or running. */
  get size(): number {
    return this.count;
  }

  /** Queues an item behind the earlier items of its key and starts what may start. */
  push(key: string | null, item: T): void {
    const k = this.concurrency === 1 || key === null ? NO_KEY : key;
    this.count++;
    const queue = this.queues.get(k);
    if (queue) {
      queue.push(item);
      return; // the key is running or already ready; its turn comes
    }
    const fresh = new Fifo<T>();
    fresh.push(item);
    this.queues.set(k, fresh);
    this.ready.push(k);
    this.pump();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.readyHead < this.ready.length) {
      const key = this.ready[this.readyHead++];
      const item = this.queues.get(key)!.take();
      this.running++;
      const finish = () => this.finish(key);
      this.run(item).then(finish, finish);
    }
    if (this.readyHead > 1024 && this.readyHead * 2 > this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }

  private finish(key: string): void {
    this.running--;
    this.count--;
    const queue = this.queues.get(key)!;
    if (queue.length > 0) this.ready.push(key);
    else this.queues.delete(key);
    this.pump();
    if (this.count === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
