import { isCalendarDay, todayUtc } from '@lib/contracts';
import { BadInputException } from '@lib/platform';

/** `POST /admin/rebuild?date=`: the UTC day to rebuild. */
export interface RebuildParams {
  readonly date: string;
}

/** Validates the query; throws {@link BadInputException} (400 with `date`'s problem). */
export function parseRebuildParams(
  query: Record<string, unknown> | undefined,
  now: Date = new Date(),
): RebuildParams {
  const date = query?.date;
  const problem = dateProblem(date, now);
  if (problem !== undefined) throw new BadInputException([{ field: 'date', problem }]);
  return { date: date as string };
}

function dateProblem(date: unknown, now: Date): string | undefined {
  if (date === undefined || date === '') return 'is required';
  if (typeof date !== 'string' || !isCalendarDay(date)) return 'must be a calendar date YYYY-MM-DD';
  if (date > todayUtc(now)) return 'must not be in the future';
  return undefined;
}
