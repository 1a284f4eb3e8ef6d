import type { LogRecord } from './log-record';
import { LogSink } from './log-sink';

/** Default capacity: about 10 MB of typical records, minutes of traffic while the broker is away. */
export const DEFAULT_RING_CAPACITY = 10_000;

/**
 * A bounded ring of records for a shipper to drain. When full, the oldest record is overwritten
 * and counted in {@link dropped}: logging must never slow or fail the request that produced it.
 */
export class RingLogSink extends LogSink {
  private readonly slots: Array<LogRecord | undefined>;
  private head = 0; // index of the oldest record
  private count = 0;
  private droppedCount = 0;

  constructor(readonly capacity = DEFAULT_RING_CAPACITY) {
    super();
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    this.slots = new Array<LogRecord | undefined>(capacity);
  }

  override write(record: LogRecord): void {
    const tail = (this.head + this.count) % this.capacity;
    this.slots[tail] = record;
    if (this.count < this.capacity) {
      this.count += 1;
    } else {
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount += 1;
    }
  }

  /** Records waiting to be shipped. */
  get size(): number {
    return this.count;
  }

  /** Records overwritten before anyone drained them, since creation. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Removes and returns up to `max` records, oldest first. */
  drain(max = this.capacity): LogRecord[] {
    const n = Math.min(Math.max(0, Math.floor(max)), this.count);
    const out = new Array<LogRecord>(n);
    for (let i = 0; i < n; i++) {
      const index = (this.head + i) % this.capacity;
      out[i] = this.slots[index]!;
      this.slots[index] = undefined; // let drained records be collected
    }
    this.head = (this.head + n) % this.capacity;
    this.count -= n;
    return out;
  }
}
