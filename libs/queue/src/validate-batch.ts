import { fieldIssues } from '@lib/contracts';
import { EventValidationError } from '@lib/retry';
import type { z } from 'zod';
import type { IncomingEvent } from './incoming-event';
import type { BatchResult } from './queue.decorators';

/** A payload that passed its schema, or why it did not (every failing field, `field: problem; …`). */
export type PayloadCheck<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Validates one consumed payload against `schema`. */
export function checkPayload<S extends z.ZodType>(
  schema: S,
  payload: unknown,
): PayloadCheck<z.infer<S>> {
  const result = schema.safeParse(payload);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: problemOf(result.error, payload) };
}

/** Every failing field of a payload as `field: problem; …` (the error's message when none is named). */
function problemOf(error: z.ZodError, payload: unknown): string {
  const problems = fieldIssues(error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return problems || error.message;
}

/** A consumed batch split by {@link validateBatch}. */
export interface ValidatedBatch<T> {
  /** The valid events, their payloads as the schema parsed them, in batch order. */
  readonly valid: IncomingEvent<T>[];
  /** What the batch handler returns for the invalid ones (`{}` when there are none). */
  readonly result: BatchResult;
}

/**
 * The first step of a `@Batch` handler: validates every payload against `schema`. An invalid
 * event fails alone with a non-retryable {@link EventValidationError} (so it is dead-lettered at
 * once, its batch neighbours unaffected); the handler goes on with `valid` and returns `result`.
 *
 * ```ts
 * const { valid, result } = validateBatch(events, pageViewPayload);
 * if (valid.length > 0) await this.daily.queue.add(valid);
 * return result;
 * ```
 */
export function validateBatch<S extends z.ZodType>(
  events: readonly IncomingEvent<unknown>[],
  schema: S,
): ValidatedBatch<z.infer<S>> {
  const valid: IncomingEvent<z.infer<S>>[] = [];
  const failed: Array<{ eventId: string; error: unknown }> = [];
  for (const event of events) {
    // safeParse and a literal of the event's four fields, not checkPayload and a spread: this runs
    // for every consumed record, and each saved object is one less for the young collections.
    const parsed = schema.safeParse(event.payload);
    if (parsed.success) {
      valid.push({
        stream: event.stream,
        eventId: event.eventId,
        payload: parsed.data,
        position: event.position,
      });
      continue;
    }
    failed.push({
      eventId: event.eventId,
      error: new EventValidationError(
        `invalid ${event.stream} record ${event.eventId}: ${problemOf(parsed.error, event.payload)}`,
      ),
    });
  }
  return { valid, result: failed.length > 0 ? { failed } : {} };
}
