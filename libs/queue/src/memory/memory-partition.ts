import type { MessageHeaders } from '@lib/contracts';
import type { RawMessage } from '../runtime/envelope';

/**
 * One partition of an in-memory topic: an append-only log with offsets, like Kafka's. Records
 * below the log start were trimmed (consumed by every group, or over the retention cap); removed
 * records (replayed or purged dead letters) read as undefined.
 */
export class MemoryPartition {
  private records: Array<RawMessage | undefined> = [];
  /** Offset of `records[0]`. */
  private start = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    private readonly maxRecords: number,
  ) {}

  /** The first offset still held. */
  get startOffset(): number {
    return this.start;
  }

  /** The offset the next record will get (Kafka's high watermark). */
  get endOffset(): number {
    return this.start + this.records.length;
  }

  /** Appends a record and wakes the consumers; returns it with its position. */
  append(key: string | null, value: Buffer | null, headers: MessageHeaders): RawMessage {
    const message: RawMessage = {
      key,
      value,
      headers,
      position: { topic: this.topic, partition: this.index, offset: String(this.endOffset) },
      timestamp: Date.now(),
    };
    this.records.push(message);
    if (this.records.length > this.maxRecords) this.trim(this.endOffset - this.maxRecords);
    for (const listener of this.listeners) listener();
    return message;
  }

  /** The record at `offset`, or undefined when trimmed, removed or not written yet. */
  get(offset: number): RawMessage | undefined {
    return this.records[offset - this.start];
  }

  /** Removes one record (a replayed dead letter); true when it was there. */
  remove(offset: number): boolean {
    const index = offset - this.start;
    if (index < 0 || index >= this.records.length || this.records[index] === undefined)
      return false;
    this.records[index] = undefined;
    return true;
  }

  /** Drops every record below `offset`. */
  trim(offset: number): void {
    const count = Math.min(offset - this.start, this.records.length);
    if (count <= 0) return;
    this.records = this.records.slice(count);
    this.start += count;
  }

  /** Calls `listener` after every append; returns the function that stops it. */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
