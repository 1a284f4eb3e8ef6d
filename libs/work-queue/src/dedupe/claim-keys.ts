import {
  GENERATION_MS,
  GENERATION_OVERLAP_MS,
  generationOf,
  namedTail,
  scopeMask,
  timePrefix,
} from './dedupe-keys';

/** The keys one claim inserts, as a `uuid[]` literal, and what its named ids need looked up. */
export interface ClaimKeys {
  /** `{k,k,…}`, each key as 32 hex digits, in the order of the ids (the lock order). */
  readonly literal: string;
  /** Keys in `literal`. */
  readonly count: number;
  /** Ids that are not canonical UUIDv7, with their key tails (see namedTail). */
  readonly named: ReadonlyArray<{ readonly id: string; readonly tail: string }>;
  /** The oldest generation named ids were inserted under; older ones are looked up. */
  readonly oldestInserted: number;
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
const COMMA = 0x2c;
const DASH = 0x2d;

/** Value of a lower-case hex digit's char code, 255 for anything else. */
const HEX_VALUE = new Uint8Array(128).fill(255);
for (let i = 0; i < 16; i++) HEX_VALUE[HEX_DIGITS[i]] = i;

/** Where the 32 hex digits of a canonical UUID sit in its 36 characters. */
const DIGIT_AT = Uint8Array.from([
  0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30,
  31, 32, 33, 34, 35,
]);

/** Per scope, its mask as the 20 hex digit values XORed into digits 12–31 of a UUIDv7 key. */
const maskDigits = new Map<string, Uint8Array>();

function maskDigitsOf(scope: string): Uint8Array {
  let digits = maskDigits.get(scope);
  if (digits === undefined) {
    digits = new Uint8Array(20);
    const mask = scopeMask(scope);
    for (let i = 0; i < 20; i++) digits[i] = (mask[Math.floor(i / 5)] >> (4 * (4 - (i % 5)))) & 15;
    maskDigits.set(scope, digits);
  }
  return digits;
}

/**
 * The keys of a claim of `ids` in `scope` at `now`, the same as timeOrderedKey and namedKey make,
 * written straight into one literal: one pass over each id's characters, no string per key (a
 * flush claims tens of thousands of ids on the thread that also consumes).
 */
export function claimKeys(scope: string, ids: readonly string[], now: number): ClaimKeys {
  const generation = generationOf(now);
  const overlap = now - generation < GENERATION_OVERLAP_MS;
  const mask = maskDigitsOf(scope);
  const prefix = timePrefix(generation);
  const previousPrefix = timePrefix(generation - GENERATION_MS);
  const named: Array<{ id: string; tail: string }> = [];
  let out: Buffer = Buffer.allocUnsafe(ids.length * 33 + 2);
  let at = 1;
  let count = 0;
  out[0] = 0x7b; // {
  for (const id of ids) {
    if (at + 67 > out.length) out = grow(out, at + 67);
    if (writeTimeOrderedKey(id, mask, out, at)) {
      at += 32;
      out[at++] = COMMA;
      count++;
      continue;
    }
    const tail = namedTail(scope, id);
    named.push({ id, tail });
    at = writeNamedKey(prefix, tail, out, at);
    count++;
    if (overlap) {
      at = writeNamedKey(previousPrefix, tail, out, at);
      count++;
    }
  }
  if (count > 0) at--; // the last comma
  out[at++] = 0x7d; // }
  return {
    literal: out.toString('latin1', 0, at),
    count,
    named,
    oldestInserted: overlap ? generation - GENERATION_MS : generation,
  };
}

/**
 * Writes the key of `id` at `at` when it is a canonical lower-case UUIDv7 (version 7, variant
 * 10): its first 12 digits (the time) as they are, the other 20 XORed with the scope's mask.
 * False, with nothing that matters written, for any other id.
 */
function writeTimeOrderedKey(id: string, mask: Uint8Array, out: Buffer, at: number): boolean {
  if (
    id.length !== 36 ||
    id.charCodeAt(8) !== DASH ||
    id.charCodeAt(13) !== DASH ||
    id.charCodeAt(18) !== DASH ||
    id.charCodeAt(23) !== DASH ||
    id.charCodeAt(14) !== 0x37 // '7'
  ) {
    return false;
  }
  const variant = id.charCodeAt(19);
  if (variant !== 0x38 && variant !== 0x39 && variant !== 0x61 && variant !== 0x62) return false;
  for (let d = 0; d < 32; d++) {
    const code = id.charCodeAt(DIGIT_AT[d]);
    const value = code < 128 ? HEX_VALUE[code] : 255;
    if (value === 255) return false;
    out[at + d] = d < 12 ? code : HEX_DIGITS[value ^ mask[d - 12]];
  }
  return true;
}

function writeNamedKey(prefix: string, tail: string, out: Buffer, at: number): number {
  at += out.write(prefix, at, 'latin1');
  at += out.write(tail, at, 'latin1');
  out[at++] = COMMA;
  return at;
}

function grow(buffer: Buffer, atLeast: number): Buffer {
  const bigger = Buffer.allocUnsafe(Math.max(atLeast, buffer.length * 2));
  buffer.copy(bigger);
  return bigger;
}
