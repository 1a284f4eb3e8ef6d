import { z } from 'zod';

/** A TCP port number from an environment variable. */
export const portVar = () =>
  z.coerce
    .number({ message: 'expected an integer between 1 and 65535' })
    .int({ message: 'expected an integer between 1 and 65535' })
    .min(1, { message: 'expected an integer between 1 and 65535' })
    .max(65535, { message: 'expected an integer between 1 and 65535' });

/** A whole number of milliseconds (or another count) within bounds. */
export const intVar = (min: number, max: number, unit = '') =>
  z.coerce
    .number({ message: `expected an integer between ${min} and ${max}${unit}` })
    .int({ message: `expected an integer between ${min} and ${max}${unit}` })
    .min(min, { message: `expected an integer between ${min} and ${max}${unit}` })
    .max(max, { message: `expected an integer between ${min} and ${max}${unit}` });

/** A URL whose scheme is one of `schemes`. */
export const urlVar = (schemes: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return schemes.includes(new URL(value).protocol.replace(/:$/, ''));
      } catch {
        return false;
      }
    },
    { message: `expected a URL starting with ${schemes.map((s) => `${s}://`).join(' or ')}` },
  );

/** A comma-separated list of non-empty items. */
export const listVar = (itemName: string) =>
  z
    .string()
    .transform((value) => value.split(',').map((item) => item.trim()))
    .refine((items) => items.length > 0 && items.every((item) => item.length > 0), {
      message: `expected a comma-separated list of ${itemName} with no empty items`,
    });

/** One of a fixed set of words. */
export const enumVar = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { message: `expected one of ${values.join(', ')}` });

/** `true` or `false` (also `1`/`0`, any case). */
export const booleanVar = () =>
  z
    .string()
    .transform((value) => value.toLowerCase())
    .refine((value) => ['true', 'false', '1', '0'].includes(value), {
      message: 'expected true or false',
    })
    .transform((value) => value === 'true' || value === '1');
