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
  const problems = fieldIssues(result.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || result.error.message };
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
    const checked = checkPayload(schema, event.payload);
    if (checked.ok) valid.push({ ...event, payload: checked.value });
    else
      failed.push({
        eventId: event.eventId,
        error: new EventValidationError(
          `invalid ${event.stream} record ${event.eventId}: ${checked.problem}`,
        ),
      });
  }
  return { valid, result: failed.length > 0 ? { failed } : {} };
}
