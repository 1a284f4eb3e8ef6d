import { BadInputException, type FieldProblem } from '@lib/platform';
import { z } from 'zod';

/** An ISO 8601 time in a query or body, read as epoch milliseconds. */
export const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'expected an ISO 8601 time' })
  .transform((v) => Date.parse(v));

/** Parses an admin route's query or body, or throws a 400 naming each field at fault. */
export function parseAdminInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details: FieldProblem[] = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return { field: issue.keys.join(', '), problem: 'unknown field' };
    return { field: issue.path.join('.') || '(body)', problem: issue.message };
  });
  throw new BadInputException(details);
}
