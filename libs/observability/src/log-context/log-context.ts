import { AsyncLocalStorage } from 'node:async_hooks';

/** The ids a log line written inside a unit of work carries (absent keys are left out). */
export interface LogContextFields {
  readonly requestId?: string;
  readonly traceId?: string;
  /** A record's event. */
  readonly eventId?: string;
  /** A batch: its first event and how many it has. */
  readonly firstEventId?: string;
  readonly eventCount?: number;
}

/**
 * A unit of work (an HTTP request, a handler invocation) whose ids every log line written while it
 * runs carries. {@link fields} is called per line, so implementations build the fields on the
 * first call and keep them: work that writes no line pays for no header parsing.
 */
export interface LogContext {
  fields(): LogContextFields;
}

// One store for the process: Nest's logger is process-wide too, and a context entered by the
// platform's HTTP hook or the queue runtime must be visible to every logger instance.
const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` (and everything it starts, sync or async) inside `context`. */
export function runInLogContext<T>(context: LogContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The fields of the innermost log context, or undefined outside any. */
export function currentLogFields(): LogContextFields | undefined {
  const context = storage.getStore();
  return context === undefined ? undefined : context.fields();
}
