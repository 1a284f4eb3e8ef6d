import type { z } from 'zod';

/** One field-level problem, e.g. `{ field: '[3].pageId', problem: 'must not be empty' }`. */
export interface FieldIssue {
  readonly field: string;
  readonly problem: string;
}

/**
 * Turns zod issues into field-level problems. `input` is what was validated (to tell a missing
 * field from a wrong one); `prefix` is its place in the request body, e.g. `[3]`.
 */
export function fieldIssues(error: z.ZodError, input: unknown, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const base = joinPath(prefix, issue.path);
      return {
        field: issue.keys.map((key) => joinPath(base, [key])).join(', '),
        problem: 'is not a known field',
      };
    }
    // zod reports a missing field as a wrong type, or for enums as a wrong value: look at the input.
    const missing = issue.path.length > 0 && valueAt(input, issue.path) === undefined;
    return {
      field: joinPath(prefix, issue.path) || '(body)',
      problem: missing ? 'is required' : issue.message,
    };
  });
}

function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const part of path) {
    out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  }
  return out;
}

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const part of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[part];
  }
  return value;
}
