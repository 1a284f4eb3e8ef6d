import { stat } from 'node:fs/promises';
import type { Segment } from './spool-recovery';

/**
 * When the spool's unacknowledged records were written, per group commit, so that the age of the
 * oldest unsent event can be reported without reading the disk. One entry per write group, not
 * per record; entries wholly before the acknowledged position are dropped as it moves.
 */
export class AppendTimes {
  /** `endSeq` is the sequence number just after the group's last record; `at` is epoch ms. */
  private readonly groups: Array<{ readonly endSeq: number; readonly at: number }> = [];

  /** Records up to (not including) `endSeq` were written at `at`. */
  add(endSeq: number, at: number): void {
    this.groups.push({ endSeq, at });
  }

  /** When the record at `headSeq` (the oldest unacknowledged) was written; undefined when none is. */
  oldest(headSeq: number): number | undefined {
    let drop = 0;
    while (drop < this.groups.length && this.groups[drop].endSeq <= headSeq) drop++;
    if (drop > 0) this.groups.splice(0, drop);
    return this.groups[0]?.at;
  }
}

/**
 * The append times of records recovered at open: each segment's records are dated by the
 * segment file's last modification, so an age read from them is a lower bound.
 */
export async function recoveredAppendTimes(
  segments: readonly Pick<Segment, 'path' | 'size' | 'endSeq'>[],
): Promise<AppendTimes> {
  const times = new AppendTimes();
  for (const segment of segments) {
    if (segment.size === 0) continue;
    const modified = await stat(segment.path).then(
      (s) => s.mtimeMs,
      () => Date.now(),
    );
    times.add(segment.endSeq, modified);
  }
  return times;
}
