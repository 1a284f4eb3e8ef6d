import { createHash, hash } from 'node:crypto';

/** One partition of `dedupe_ids` per UTC hour of key time. */
export const HOUR_MS = 3_600_000;

/**
 * Ids that carry no time of their own are stored under the start of a generation of this many
 * hours (UTC-aligned), so that a retry of one finds it again: a claim looks it up in every
 * generation still kept. Longer generations mean fewer look-ups per such id, shorter ones that
 * its partition is dropped sooner after the window.
 */
export const GENERATION_MS = 6 * HOUR_MS;

/**
 * During the first minutes of a generation such ids are also inserted under the previous one, so
 * two transactions claiming the same id on either side of the boundary meet on one key (the later
 * waits for the earlier) instead of both applying it. Covers flush transactions (abandoned after
 * 10 s) and clock differences between instances well within this.
 */
export const GENERATION_OVERLAP_MS = 5 * 60_000;

/** Canonical lower-case UUIDv7 text: the only ids stored under their own time. */
const TIME_ORDERED = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Whether `id` is stored under its own time (a canonical UUIDv7, as ingest stamps them). */
export function isTimeOrderedId(id: string): boolean {
  return id.length === 36 && TIME_ORDERED.test(id);
}

/**
 * The 80 bits XORed into bytes 6–15 of a scope's UUIDv7 ids, as four 20-bit numbers: per scope, so
 * one table serves every queue without a scope column (16 bytes less per id), and a bijection, so
 * two ids of one scope never share a key. The version nibble and variant bits are left alone: such
 * keys stay version 7, apart from the version 8 keys of {@link namedKey}.
 */
export function scopeMask(scope: string): readonly number[] {
  const mask = createHash('sha256').update(`dedupe-scope\n${scope}`).digest().subarray(0, 10);
  mask[0] &= 0x0f;
  mask[2] &= 0x3f;
  const hex = mask.toString('hex');
  return [0, 5, 10, 15].map((at) => parseInt(hex.slice(at, at + 5), 16));
}

/** The key (32 hex digits) of a canonical UUIDv7 `id` in the scope of `mask`; its first 48 bits are the id's time. */
export function timeOrderedKey(id: string, mask: readonly number[]): string {
  // xxxxxxxx-xxxx-7xxx-yxxx-xxxxxxxxxxxx: the time is the first 12 digits, the rest 20.
  const rest = id.slice(14, 18) + id.slice(19, 23) + id.slice(24);
  let key = id.slice(0, 8) + id.slice(9, 13);
  for (let i = 0; i < 4; i++) {
    key += (parseInt(rest.slice(i * 5, i * 5 + 5), 16) ^ mask[i]).toString(16).padStart(5, '0');
  }
  return key;
}

/**
 * The last 80 bits (20 hex digits) of the key of an id that is not a canonical UUIDv7: a hash of
 * scope and id, marked version 8 so it never equals a UUIDv7 key.
 */
export function namedTail(scope: string, id: string): string {
  // The one-shot hash(): about half the time of a createHash() object per id.
  const digest = hash('sha256', `${scope}\n${id}`, 'buffer').subarray(0, 10);
  digest[0] = 0x80 | (digest[0] & 0x0f);
  digest[2] = 0x80 | (digest[2] & 0x3f);
  return digest.toString('hex');
}

/** The key of a named id (by its {@link namedTail}) in the generation starting at `generationMs`. */
export function namedKey(tail: string, generationMs: number): string {
  return timePrefix(generationMs) + tail;
}

/** The first 48 bits (12 hex digits) of a key whose time is `ms`. */
export function timePrefix(ms: number): string {
  return ms.toString(16).padStart(12, '0');
}

/** Start of the generation holding `ms`. */
export function generationOf(ms: number): number {
  return Math.floor(ms / GENERATION_MS) * GENERATION_MS;
}

/** The lowest key of time `ms`, as a uuid literal (partition bounds). */
export function lowestKey(ms: number): string {
  const hex = timePrefix(ms).padEnd(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
