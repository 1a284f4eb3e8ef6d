import type { LogRecord } from './log-record';

/**
 * Where log records go besides stdout (a bounded buffer that a shipper drains onto the `app-logs`
 * stream). `write` runs on the request path: it must be synchronous, O(1), and never throw.
 */
export abstract class LogSink {
  /** Takes one record; drops it (never blocks or throws) when the sink cannot keep it. */
  abstract write(record: LogRecord): void;
}

/** Discards every record (`LOG_SHIP=false`). */
export class NullLogSink extends LogSink {
  override write(): void {
    // Intentionally empty: shipping is off.
  }
}
