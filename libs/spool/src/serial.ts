/** Runs async tasks one at a time, in the order they were submitted. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task submitted before it has settled. */
  run<R>(task: () => Promise<R>): Promise<R> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
