import { fieldIssues } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';
import { decodeCursor, type LogCursor } from './log-cursor';

/** Page size of `GET /v1/logs` when `limit` is absent, and its maximum. */
export const SEARCH_LIMIT = { default: 50, max: 500 } as const;

/** Groups in the slow-query report when `limit` is absent, and its maximum. */
export const SLOW_QUERY_LIMIT = { default: 20, max: 100 } as const;

/** The slow-query report covers this much time before `to` when `from` is absent. */
export const SLOW_QUERY_DEFAULT_WINDOW_MS = 24 * 60 * 60 * 1000;

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

const text = (max: number) =>
  z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(max, { message: `must be at most ${max} characters` })
    .refine((value) => !CONTROL_CHARS.test(value), {
      message: 'must not contain control characters',
    });

/**
 * An ISO-8601 date-time with an offset. A `+` left unencoded in a query string arrives as a space
 * (`…T10:00:00 02:00`); it can only have been a `+`, so it is read as one.
 */
const timestamp = () =>
  z
    .string()
    .transform((value) => value.replace(/ (\d\d:?\d\d)$/, '+$1'))
    .pipe(
      z.iso.datetime({
        offset: true,
        message: 'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
      }),
    )
    .transform((value) => new Date(value));

const integer = (min: number, max: number) => {
  const message = `must be an integer between ${min} and ${max}`;
  return z
    .string()
    .regex(/^\d{1,9}$/, { message })
    .transform(Number)
    .pipe(z.number().min(min, { message }).max(max, { message }));
};

const cursor = () =>
  z.string().transform((value, context) => {
    const decoded = decodeCursor(value);
    if (!decoded)
      context.addIssue({ code: 'custom', message: 'is not a cursor returned by this service' });
    return decoded as LogCursor;
  });

const window = <T extends { from?: Date; to?: Date }>(value: T, context: z.RefinementCtx) => {
  if (value.from && value.to && value.from > value.to) {
    context.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
  }
};

const searchSchema = z
  .strictObject({
    service: text(100).optional(),
    kind: z
      .enum(['request', 'error', 'query'], { message: 'must be one of request, error, query' })
      .optional(),
    level: z
      .enum(['debug', 'info', 'warn', 'error', 'fatal'], {
        message: 'must be one of debug, info, warn, error, fatal',
      })
      .optional(),
    from: timestamp().optional(),
    to: timestamp().optional(),
    requestId: text(100).optional(),
    q: text(200).optional(),
    limit: integer(1, SEARCH_LIMIT.max).default(SEARCH_LIMIT.default),
    cursor: cursor().optional(),
  })
  .superRefine(window);

const slowQuerySchema = z
  .strictObject({
    from: timestamp().optional(),
    to: timestamp().optional(),
    minDurationMs: z
      .string()
      .regex(/^\d{1,9}(\.\d{1,6})?$/, { message: 'must be a number >= 0' })
      .transform(Number)
      .default(0),
    limit: integer(1, SLOW_QUERY_LIMIT.max).default(SLOW_QUERY_LIMIT.default),
  })
  .superRefine(window);

/** A validated `GET /v1/logs` query; `from` inclusive, `to` exclusive. */
export type LogSearch = z.infer<typeof searchSchema>;

/** A validated `GET /v1/logs/slow-queries` query, with its window resolved. */
export type SlowQuerySearch = Omit<z.infer<typeof slowQuerySchema>, 'from' | 'to'> & {
  from: Date;
  to: Date;
};

/** Validates a `GET /v1/logs` query string; 400 naming every bad parameter. */
export function parseLogSearch(query: unknown): LogSearch {
  return parseQuery(searchSchema, query);
}

/** Validates a `GET /v1/logs/slow-queries` query string (default window: the 24 h before `now`). */
export function parseSlowQuerySearch(query: unknown, now: Date): SlowQuerySearch {
  const parsed = parseQuery(slowQuerySchema, query);
  const to = parsed.to ?? now;
  const from = parsed.from ?? new Date(to.getTime() - SLOW_QUERY_DEFAULT_WINDOW_MS);
  if (from > to) throw new BadInputException([{ field: 'from', problem: 'must not be after to' }]);
  return { ...parsed, from, to };
}

function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const input: Record<string, unknown> = query && typeof query === 'object' ? { ...query } : {};
  // `?a=1&a=2` arrives as an array: say so rather than "must be a string".
  const repeated = Object.keys(input).filter((key) => Array.isArray(input[key]));
  if (repeated.length > 0) {
    throw new BadInputException(
      repeated.map((field) => ({ field, problem: 'must be given once' })),
    );
  }
  const result = schema.safeParse(input);
  if (!result.success) throw new BadInputException(fieldIssues(result.error, input));
  return result.data;
}
