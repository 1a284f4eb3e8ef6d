import { z } from 'zod';

// Control characters (C0, DEL and C1) never belong in identifiers.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

/** A string of `min`–`max` characters. */
export const text = (min: number, max: number) =>
  z
    .string({ message: 'must be a string' })
    .min(min, { message: min === 1 ? 'must not be empty' : `must be at least ${min} characters` })
    .max(max, { message: `must be at most ${max} characters` });

/** An identifier: `min`–`max` characters, no control characters. */
export const identifier = (max: number) =>
  text(1, max).refine((value) => !CONTROL_CHARS.test(value), {
    message: 'must not contain control characters',
  });

/** A client event id: 1–100 characters, no control characters. */
export const eventIdRule = () => identifier(100);

/** ISO-8601 date-time with an explicit offset (`Z` or `±hh:mm`). */
export const isoDateTime = () =>
  z.iso.datetime({
    offset: true,
    message: 'must be an ISO-8601 date-time with an offset, e.g. 2026-01-31T12:00:00Z',
  });

/** A finite number. */
export const finiteNumber = () =>
  z.number({ message: 'must be a number' }).finite({ message: 'must be finite' });

/** A whole number ≥ `min`. */
export const integerAtLeast = (min: number) =>
  z
    .number({ message: 'must be an integer' })
    .int({ message: 'must be an integer' })
    .min(min, { message: `must be an integer >= ${min}` })
    .max(Number.MAX_SAFE_INTEGER, { message: 'is too large' });
