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
  if (typeof date !== 'string' || !/^[1-9]\d{3}-\d{2}-\d{2}$/.test(date))
    return 'must be a calendar date YYYY-MM-DD';
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date)
    return 'must be a calendar date YYYY-MM-DD';
  if (date > now.toISOString().slice(0, 10)) return 'must not be in the future';
  return undefined;
}
