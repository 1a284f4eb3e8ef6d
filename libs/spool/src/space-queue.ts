interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * Appends waiting for room under the `block` policy, first come first served: a waiter is
 * admitted only when it is at the front and fits, so a large batch is not starved by small ones
 * and the order of appends is kept.
 */
export class SpaceQueue {
  private readonly waiters: Waiter[] = [];

  /**
   * @param tryTake reserves `bytes` and returns true when they fit now.
   * @param timeoutError the error a waiter gets when its time is up.
   */
  constructor(
    private readonly tryTake: (bytes: number) => boolean,
    private readonly timeoutError: (bytes: number, waitedMs: number) => Error,
  ) {}

  /** Number of appends waiting. */
  get length(): number {
    return this.waiters.length;
  }

  /** Resolves once `bytes` are reserved for the caller; rejects after `timeoutMs`. */
  wait(bytes: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index < 0) return;
        this.waiters.splice(index, 1);
        reject(this.timeoutError(bytes, timeoutMs));
        // The one that gave up may have been holding back smaller ones behind it.
        this.release();
      }, timeoutMs);
      const waiter: Waiter = { bytes, resolve, reject, timer };
      this.waiters.push(waiter);
      this.release();
    });
  }

  /** Admits waiters from the front while they fit; call whenever space was freed. */
  release(): void {
    while (this.waiters.length > 0 && this.tryTake(this.waiters[0].bytes)) {
      const waiter = this.waiters.shift()!;
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  /** Rejects every waiter (the spool is closing). */
  rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
