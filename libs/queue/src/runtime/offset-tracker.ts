/**
 * Tracks the records of one partition from read to finished and tells which offset may be
 * committed: the one after the highest offset below which every record is finished. Records may
 * finish in any order (keyed concurrency, retries handed off, late work-queue flushes); the
 * committed offset never passes an unfinished record, so a crash re-reads it instead of losing it.
 *
 * Offsets are added in increasing order (the order of the log); gaps (compaction, transaction
 * markers) are fine because only the order matters.
 */
export class OffsetTracker {
  private offsets: string[] = [];
  private done: boolean[] = [];
  /** Index in the arrays of the oldest unfinished record. */
  private head = 0;
  /** Sequence number of `offsets[0]`, so that sequence numbers survive compaction. */
  private base = 0;
  private open = 0;
  /** Offset of the last record of the finished prefix (its string form is made only when asked). */
  private lastFinished: string | undefined;
  private lastTaken: string | undefined;

  /** Records added and not yet finished. */
  get inFlight(): number {
    return this.open;
  }

  /** Registers a record just read; returns its sequence number for {@link complete}. */
  add(offset: string): number {
    this.offsets.push(offset);
    this.done.push(false);
    this.open++;
    return this.base + this.offsets.length - 1;
  }

  /** Marks a record finished (handled, retried or dead-lettered) and advances the contiguous prefix. */
  complete(sequence: number): void {
    const index = sequence - this.base;
    if (index < this.head || index >= this.done.length || this.done[index]) return;
    this.done[index] = true;
    this.open--;
    if (index !== this.head) return;
    let head = this.head;
    while (head < this.done.length && this.done[head]) head++;
    this.lastFinished = this.offsets[head - 1];
    this.head = head;
    if (head > 4096 && head * 2 > this.done.length) {
      this.offsets = this.offsets.slice(head);
      this.done = this.done.slice(head);
      this.base += head;
      this.head = 0;
    }
  }

  /** The next offset to read after the finished prefix (what Kafka calls the committed offset), if any. */
  get commitOffset(): string | undefined {
    return this.lastFinished === undefined ? undefined : nextOffset(this.lastFinished);
  }

  /** The commit offset when it moved since the last call, else undefined: for periodic commits. */
  takeCommit(): string | undefined {
    const offset = this.commitOffset;
    if (offset === undefined || offset === this.lastTaken) return undefined;
    this.lastTaken = offset;
    return offset;
  }

  /**
   * For a partition that is read again from its oldest unfinished record (a redelivery): forgets
   * every record from that one on and returns its offset, with the offsets after it that did
   * finish (in log order, to be skipped when read again); undefined when every record finished.
   * Call it only while no record runs: a late {@link complete} of a forgotten record is ignored.
   */
  rewind(): { from: string; finished: string[] } | undefined {
    if (this.open === 0) return undefined;
    const from = this.offsets[this.head];
    const finished: string[] = [];
    for (let i = this.head + 1; i < this.done.length; i++)
      if (this.done[i]) finished.push(this.offsets[i]);
    this.base += this.offsets.length;
    this.offsets = [];
    this.done = [];
    this.head = 0;
    this.open = 0;
    return { from, finished };
  }

  /**
   * Starts the partition at `next` (nothing may be open): it is read from another offset now (an
   * operator's reset, already committed there), so the old finished prefix must neither be
   * committed again nor be taken for where this consumer got to.
   */
  startAt(next: string): void {
    this.lastFinished = (BigInt(next) - 1n).toString();
    this.lastTaken = next;
  }

  /** Forgets that the last taken offset was committed (the commit failed), so it is offered again. */
  untake(offset: string): void {
    if (this.lastTaken === offset) this.lastTaken = undefined;
  }
}

/** Compares two decimal offset strings (no leading zeros) as numbers: negative when `a` is lower. */
export function compareOffsets(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `offset + 1` for a decimal offset string. */
export function nextOffset(offset: string): string {
  const n = Number(offset);
  return Number.isSafeInteger(n + 1) ? String(n + 1) : (BigInt(offset) + 1n).toString();
}
