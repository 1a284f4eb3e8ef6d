import { calendarDay, fieldIssues, pageViewInput, todayUtc } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';

/** Pages in `GET /v1/page-views` when `limit` is absent, and the allowed range. */
export const TOP_PAGES_LIMIT = { default: 10, min: 1, max: 100 } as const;

const limit = () => {
  const message = `must be an integer between ${TOP_PAGES_LIMIT.min} and ${TOP_PAGES_LIMIT.max}`;
  return z
    .string()
    .regex(/^\d{1,9}$/, { message })
    .transform(Number)
    .pipe(z.number().min(TOP_PAGES_LIMIT.min, { message }).max(TOP_PAGES_LIMIT.max, { message }));
};

const pageQuery = z.object({ date: calendarDay().optional() });
const topQuery = z.object({ date: calendarDay().optional(), limit: limit().optional() });
/** Page ids follow the `pageId` rule of `POST /v1/page-views`. */
const pagePath = z.object({ pageId: pageViewInput.shape.pageId });

export interface PageViewsParams {
  readonly pageId: string;
  readonly date: string;
}

export interface TopPagesParams {
  readonly date: string;
  readonly limit: number;
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new BadInputException(fieldIssues(result.error, input));
  return result.data;
}

/** `GET /v1/page-views/:pageId?date=`: throws {@link BadInputException} (400 with details). */
export function parsePageViewsParams(
  path: Record<string, unknown>,
  query: Record<string, unknown>,
  now: Date = new Date(),
): PageViewsParams {
  const problems: Array<{ field: string; problem: string }> = [];
  const pathResult = pagePath.safeParse(path ?? {});
  if (!pathResult.success) problems.push(...fieldIssues(pathResult.error, path));
  const queryResult = pageQuery.safeParse(query ?? {});
  if (!queryResult.success) problems.push(...fieldIssues(queryResult.error, query));
  if (problems.length > 0 || !pathResult.success || !queryResult.success)
    throw new BadInputException(problems);
  return { pageId: pathResult.data.pageId, date: queryResult.data.date ?? todayUtc(now) };
}

/** `GET /v1/page-views?date=&limit=`: throws {@link BadInputException} (400 with details). */
export function parseTopPagesParams(
  query: Record<string, unknown>,
  now: Date = new Date(),
): TopPagesParams {
  const data = parse(topQuery, query);
  return { date: data.date ?? todayUtc(now), limit: data.limit ?? TOP_PAGES_LIMIT.default };
}
