/**
 * What holds an app's start-up back: a dependency that refuses us (a rejected credential or
 * certificate) while start-up keeps retrying. The start-up probe shows it on `/health/ready`
 * before the app itself listens.
 */
export class StartupStatus {
  private readonly waits = new Map<string, string>();
  private readonly waitListeners: Array<() => void> = [];

  /** Calls `listener` when start-up first has to wait for a dependency. */
  onFirstWait(listener: () => void): void {
    this.waitListeners.push(listener);
  }

  /** Records that start-up waits for `dependency`; `reason` is shown by readiness, so no secret in it. */
  waiting(dependency: string, reason: string): void {
    this.waits.set(dependency, reason);
    for (const listener of this.waitListeners.splice(0)) listener();
  }

  /** Records that `dependency` no longer holds start-up back. */
  ready(dependency: string): void {
    this.waits.delete(dependency);
  }

  /** What start-up waits for, as a plain `dependency → reason` record. */
  waitingFor(): Record<string, string> {
    return Object.fromEntries(this.waits);
  }
}
