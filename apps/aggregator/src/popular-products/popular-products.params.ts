import { fieldIssues } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { z } from 'zod';

const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** A calendar day `YYYY-MM-DD` that exists (no 2026-02-30). */
const day = () =>
  z.string({ message: 'must be a calendar date YYYY-MM-DD' }).refine(
    (value) => {
      if (!/^[1-9]\d{3}-\d{2}-\d{2}$/.test(value)) return false;
      const parsed = new Date(`${value}T00:00:00Z`);
      return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === value;
    },
    { message: 'must be a calendar date YYYY-MM-DD' },
  );

/** Store ids follow the `storeId` rule of `POST /v1/orders`: 1-100 characters, no control characters. */
const storeId = () =>
  z
    .string({ message: 'must be a string' })
    .min(1, { message: 'must not be empty' })
    .max(100, { message: 'must be at most 100 characters' })
    .refine((value) => !CONTROL_CHARS.test(value), { message: 'must not contain control characters' });

const dateQuery = z.object({ date: day().optional() });
const storePath = z.object({ storeId: storeId() });

/** Today's UTC day. */
export function todayUtc(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

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
  if (problems.length > 0 || !pathResult.success || !queryResult.success) throw new BadInputException(problems);
  return { storeId: pathResult.data.storeId, date: queryResult.data.date ?? todayUtc(now) };
}
