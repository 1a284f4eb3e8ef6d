import { calendarDay, fieldIssues, orderInput, todayUtc } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';

const dateQuery = z.object({ date: calendarDay().optional() });
/** Store ids follow the `storeId` rule of `POST /v1/orders`. */
const storePath = z.object({ storeId: orderInput.shape.storeId });

/** `?date=` of both routes (default today, UTC): throws {@link BadInputException} (400 with details). */
export function parseExportDate(query: Record<string, unknown>, now: Date = new Date()): string {
  const result = dateQuery.safeParse(query ?? {});
  if (!result.success) throw new BadInputException(fieldIssues(result.error, query));
  return result.data.date ?? todayUtc(now);
}

/** `GET /v1/stores/:storeId/popular-products?date=`: throws {@link BadInputException} with every problem. */
export function parseSnapshotParams(
  path: Record<string, unknown>,
  query: Record<string, unknown>,
  now: Date = new Date(),
): { storeId: string; date: string } {
  const problems: Array<{ field: string; problem: string }> = [];
  const pathResult = storePath.safeParse(path ?? {});
  if (!pathResult.success) problems.push(...fieldIssues(pathResult.error, path));
  const queryResult = dateQuery.safeParse(query ?? {});
  if (!queryResult.success) problems.push(...fieldIssues(queryResult.error, query));
  if (problems.length > 0 || !pathResult.success || !queryResult.success)
    throw new BadInputException(problems);
  return { storeId: pathResult.data.storeId, date: queryResult.data.date ?? todayUtc(now) };
}
