/** The partitioned table of log records. */
export const LOG_TABLE = 'app_logs';

/** Takes the rows no day partition takes (far past or future), so no row is ever refused. */
export const DEFAULT_PARTITION = 'app_logs_default';

/** Partitions of the days from today up to this many days ahead always exist. */
export const DAYS_AHEAD = 2;

const DAY_MS = 86_400_000;
const PARTITION_NAME = /^app_logs_p(\d{8})$/;

/** A UTC day as `YYYYMMDD`, the suffix of its partition's name. */
export type DayKey = string;

/** The UTC day of `date`. */
export function dayOf(date: Date): DayKey {
  return date.toISOString().slice(0, 10).replaceAll('-', '');
}

/** Midnight UTC at the start of `day`. */
export function startOfDay(day: DayKey): Date {
  return new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T00:00:00.000Z`);
}

/** The day `n` days after (or before, for negative `n`) `day`. */
export function addDays(day: DayKey, n: number): DayKey {
  return dayOf(new Date(startOfDay(day).getTime() + n * DAY_MS));
}

/** `first` … `last`, inclusive. */
export function daysFrom(first: DayKey, last: DayKey): DayKey[] {
  const days: DayKey[] = [];
  for (let day = first; day <= last; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The partition holding `day`'s rows: `app_logs_pYYYYMMDD`. */
export function partitionName(day: DayKey): string {
  if (!/^\d{8}$/.test(day)) throw new TypeError(`not a day key: ${JSON.stringify(day)}`);
  return `${LOG_TABLE}_p${day}`;
}

/** The day of a day partition's name; undefined for any other table (the default partition). */
export function dayOfPartition(name: string): DayKey | undefined {
  return PARTITION_NAME.exec(name)?.[1];
}

/**
 * The days that get their own partition at `now`: from the oldest day retention keeps to
 * {@link DAYS_AHEAD} days ahead. Rows outside (clock skew, old replays) go to the default partition.
 */
export function partitionWindow(now: Date, retentionDays: number): { first: DayKey; last: DayKey } {
  const today = dayOf(now);
  return { first: addDays(today, -retentionDays), last: addDays(today, DAYS_AHEAD) };
}
