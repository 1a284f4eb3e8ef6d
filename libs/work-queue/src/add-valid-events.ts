import { validateBatch, type BatchResult, type IncomingEvent } from '@lib/queue';
import type { z } from 'zod';

/** What {@link addValidEvents} needs of a work queue. */
export interface EventSink<T> {
  add(events: readonly IncomingEvent<T>[]): Promise<void>;
}

/**
 * The body of a {@link WorkQueueBatch} handler: validates the batch ({@link validateBatch}), adds
 * the valid events to `queue` and settles with the batch result (naming the invalid ones) once
 * their flush has committed.
 *
 * ```ts
 * @EventPattern('page-views')
 * @WorkQueueBatch()
 * handle(@Payload() events: IncomingEvent<unknown>[]): Promise<BatchResult> {
 *   return addValidEvents(this.daily.queue, events, pageViewPayload);
 * }
 * ```
 *
 * Why not an `async` handler awaiting `queue.add(valid)`: its suspended frame would keep the
 * validated copies of the batch until the flush commits. Those live through every young-generation
 * collection of that wait and are copied by each: with hundreds of thousands of events waiting at
 * a busy consumer, a measurable share of its CPU. This function returns before the wait, and the
 * continuation keeps only the result.
 */
export function addValidEvents<S extends z.ZodType>(
  queue: EventSink<z.infer<S>>,
  events: readonly IncomingEvent<unknown>[],
  schema: S,
): Promise<BatchResult> {
  const { valid, result } = validateBatch(events, schema);
  if (valid.length === 0) return Promise.resolve(result);
  return queue.add(valid).then(() => result);
}
