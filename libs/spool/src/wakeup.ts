/**
 * Wakes one waiting loop. A notify with nobody waiting is remembered, so a wake-up that arrives
 * between the loop's check and its wait is not lost.
 */
export class Wakeup {
  private notified = false;
  private waiter?: () => void;

  /** Wakes the waiter, or the next call to `wait` when nobody waits now. */
  notify(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (waiter) waiter();
    else this.notified = true;
  }

  /** Resolves at the next notify (at once when one is pending). */
  wait(): Promise<void> {
    if (this.notified) {
      this.notified = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => (this.waiter = resolve));
  }
}
