/**
 * How exposed a hand-written at-least-once consumer is to counting twice: the time during which
 * some batch is written to the database but its offsets are not committed yet (a SIGKILL then
 * re-delivers that batch after the restart), and how many records are in that state.
 */

/** The meter's figures, as the expert process prints them on a graceful exit. */
export interface Exposure {
  /** From the first batch written to the last offset commit, ms. */
  readonly activeMs: number;
  /** Of activeMs, the time with at least one written batch not committed, ms. */
  readonly exposedMs: number;
  /** Records written but not committed, integrated over time (record·ms): / activeMs = mean records at risk. */
  readonly recordMs: number;
}

/** Tracks written-but-uncommitted batches per partition. */
export class ExposureMeter {
  private readonly open = new Map<number, { since: number; records: number }>();
  private first = 0;
  private last = 0;
  private exposedSince = 0;
  private exposedMs = 0;
  private recordMs = 0;

  /** A batch of `records` of `partition` was written to the database. */
  written(partition: number, records: number): void {
    const now = performance.now();
    if (this.first === 0) this.first = now;
    if (this.open.size === 0) this.exposedSince = now;
    const current = this.open.get(partition);
    // A second batch before the first's commit: both are at risk from here on.
    if (current) {
      this.recordMs += current.records * (now - current.since);
      this.open.set(partition, { since: now, records: current.records + records });
    } else this.open.set(partition, { since: now, records });
  }

  /** Offsets of these partitions were committed. */
  committed(partitions: readonly number[]): void {
    const now = performance.now();
    for (const partition of partitions) {
      const current = this.open.get(partition);
      if (!current) continue;
      this.recordMs += current.records * (now - current.since);
      this.open.delete(partition);
      if (this.open.size === 0) this.exposedMs += now - this.exposedSince;
    }
    this.last = now;
  }

  /** The figures so far. */
  summary(): Exposure {
    return { activeMs: this.last - this.first, exposedMs: this.exposedMs, recordMs: this.recordMs };
  }
}
