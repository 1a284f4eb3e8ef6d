/** A promise with its resolve and reject exposed, settled by whoever holds it. */
export class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers may drop the promise (fire-and-forget add); a rejection must not crash the process.
    this.promise.catch(() => undefined);
  }
}
