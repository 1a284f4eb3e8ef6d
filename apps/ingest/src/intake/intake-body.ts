import { fieldIssues, type FieldIssue } from '@lib/contracts';
import type { z } from 'zod';

/** Most events one request may carry (docs/contract.md). */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** The outcome of checking a request body: the valid events, or every problem found. */
export type IntakeParse<T> = { ok: true; events: T[] } | { ok: false; problems: FieldIssue[] };

/** Cap on problems reported for one body, so a 1000-item array of junk gives a readable answer. */
const MAX_PROBLEMS = 50;

/**
 * Checks a body that is one object or an array of 1–1000 objects against an event schema.
 * Problems name the field with its index (`[3].pageId`) when the body is an array.
 */
export function parseIntakeBody<S extends z.ZodType>(
  schema: S,
  body: unknown,
): IntakeParse<z.infer<S>> {
  if (Array.isArray(body)) {
    if (body.length === 0) return fail('(body)', 'must contain at least 1 event');
    if (body.length > MAX_EVENTS_PER_REQUEST) {
      return fail(
        '(body)',
        `must contain at most ${MAX_EVENTS_PER_REQUEST} events, got ${body.length}`,
      );
    }
    const events: z.infer<S>[] = [];
    const problems: FieldIssue[] = [];
    for (let index = 0; index < body.length && problems.length < MAX_PROBLEMS; index++) {
      const item = body[index];
      if (!isPlainObject(item)) {
        problems.push({ field: `[${index}]`, problem: 'must be an object' });
        continue;
      }
      const result = schema.safeParse(item);
      if (result.success) events.push(result.data);
      else problems.push(...fieldIssues(result.error, item, `[${index}]`));
    }
    return problems.length
      ? { ok: false, problems: problems.slice(0, MAX_PROBLEMS) }
      : { ok: true, events };
  }
  if (!isPlainObject(body))
    return fail('(body)', 'must be a JSON object or an array of 1-1000 objects');
  const result = schema.safeParse(body);
  return result.success
    ? { ok: true, events: [result.data] }
    : { ok: false, problems: fieldIssues(result.error, body) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, problem: string): { ok: false; problems: FieldIssue[] } {
  return { ok: false, problems: [{ field, problem }] };
}
