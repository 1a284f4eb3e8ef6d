import type { LogKind, LogRecord } from './log-record';
import { LogSink } from './log-sink';

/** Keeps every record in memory, for tests that assert what was logged. */
export class MemoryLogSink extends LogSink {
  private readonly kept: LogRecord[] = [];

  override write(record: LogRecord): void {
    this.kept.push(record);
  }

  /** Every record so far, oldest first (optionally of one kind). */
  records(kind?: LogKind): LogRecord[] {
    return kind ? this.kept.filter((record) => record.kind === kind) : [...this.kept];
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.kept.length = 0;
  }
}
