import { PATTERN_EXTRAS_METADATA } from '@nestjs/microservices/constants';
import type { RetryPolicy } from '@lib/retry';

/** Options of one handler, kept in the `queue` entry of the `@EventPattern` extras. */
export interface HandlerOptions {
  readonly retry?: Partial<RetryPolicy>;
  /** Batch mode: the handler receives `IncomingEvent[]` of at most this many events. */
  readonly batch?: { readonly maxSize: number };
  /** Events with different keys may run this many at a time; same-key events stay in order (batch mode: batches outstanding). */
  readonly concurrency?: number;
}

function mergeQueueExtras(options: HandlerOptions): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const extras = Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) ?? {};
    Reflect.defineMetadata(
      PATTERN_EXTRAS_METADATA,
      { ...extras, queue: { ...(extras.queue ?? {}), ...options } },
      method,
    );
    return descriptor;
  };
}

/** The retry policy of this handler (the rest comes from the defaults). */
export const Retry = (policy: Partial<RetryPolicy>): MethodDecorator =>
  mergeQueueExtras({ retry: policy });

/**
 * Batch mode: the handler gets an array of events and may fail single ones by returning
 * {@link BatchResult}; a thrown error fails the whole batch.
 */
export const Batch = (maxSize: number): MethodDecorator => mergeQueueExtras({ batch: { maxSize } });

/**
 * Key-ordered concurrency inside a partition: up to `limit` keys in parallel, in order per key (a
 * record starts once the previous record of its key settled). With {@link Batch}: up to `limit`
 * batches outstanding at once, started in partition order, so that a handler that takes its events
 * synchronously (into a work queue) and resolves after its flush keeps the stream moving.
 */
export const KeyedConcurrency = (limit: number): MethodDecorator =>
  mergeQueueExtras({ concurrency: limit });

/** The queue options of a handler from its `@EventPattern` extras. */
export function handlerOptionsOf(extras: Record<string, unknown> | undefined): HandlerOptions {
  return (extras?.queue as HandlerOptions | undefined) ?? {};
}

/** What a batch handler may return: the events that failed, each with its error, and work still under way. */
export interface BatchResult {
  readonly failed?: ReadonlyArray<{ readonly eventId: string; readonly error: unknown }>;
  /**
   * The batch's work still under way, e.g. a work queue's flush: the events not in `failed` count
   * as handled (acknowledged, committed) once it resolves, and fail as if the handler had thrown
   * when it rejects. Returning it rather than awaiting it lets the transport let go of the batch's
   * parsed events during the wait, keeping only the raw records (addValidEvents in
   * `@lib/work-queue` does this).
   */
  readonly pending?: PromiseLike<unknown>;
}
