import { AsyncLocalStorage } from 'node:async_hooks';
import { tracingEnabled } from '../tracing/tracing-state';
import { activeTraceId } from './trace-id';

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

/**
 * The fields of the innermost log context, or undefined outside any. With tracing on, `traceId` is
 * the active span's when there is one (a batch's process span, a span the handler started): the
 * trace the line belongs to; otherwise the context's own (from a `traceparent` header).
 */
export function currentLogFields(): LogContextFields | undefined {
  const context = storage.getStore();
  if (context === undefined) return undefined;
  const fields = context.fields();
  if (!tracingEnabled()) return fields;
  const traceId = activeTraceId();
  return traceId === undefined || traceId === fields.traceId ? fields : { ...fields, traceId };
}
