import {
  denseSketchBytes,
  EXACT_LIMIT,
  exactCount,
  exactSketchBytes,
  FORMAT_DENSE,
  FORMAT_EXACT,
  HEADER,
  readExactHashes,
  sketchFormat,
  SPARSE_LIMIT,
  sparseEntryAt,
  sparseSketchBytes,
} from './sketch-format';
import { HLL_REGISTERS, registerUpdates, sortDistinct, unionOfSorted } from './visitor-hashes';

/**
 * A stored sketch's bytes (`null`: none yet) with more visitors added: the new bytes, or `null`
 * when the sketch does not change. The bytes are exactly those of `HyperLogLog.fromBytes(stored)`
 * with each hash applied, then `toBytes()`: an exact sketch takes the union of the hashes (and
 * turns into registers of them all past EXACT_LIMIT), a register sketch raises its registers.
 *
 * `hashes` are visitor hashes (`visitorUpdate`), in any order, repeats allowed; a BigUint64Array
 * is sorted in place (an array is copied first). `legacyUpdates` are packed register updates
 * (`index * 64 + rank`) from `page_visitor_updates` rows written before flushes recorded hashes:
 * they carry no hash, so a sketch they reach holds registers from then on. Sorts them in place.
 *
 * Why on bytes: a merge raises the stored sketches of thousands of pages. Decoding each into a
 * Map or Set and sorting it back out was most of the JavaScript time; here the new hashes get one
 * native sort and are merged into a stored exact sketch's (sorted already) in one linear walk, and
 * into a sparse one likewise.
 *
 * Throws a TypeError on bytes that are not a sketch, so that a corrupt row fails its merge rather
 * than being overwritten.
 */
export function raiseSketchBytes(
  stored: Uint8Array | null,
  hashes: BigUint64Array | readonly bigint[],
  legacyUpdates: number[] = [],
): Buffer | null {
  const format = stored === null ? FORMAT_EXACT : sketchFormat(stored);
  const owned = hashes instanceof BigUint64Array ? hashes : BigUint64Array.from(hashes);
  if (format === FORMAT_EXACT) return raiseExact(stored, owned, legacyUpdates);
  const updates = registerUpdates(owned);
  for (const update of legacyUpdates) updates.push(update);
  updates.sort((a, b) => a - b); // by index, then rank
  return format === FORMAT_DENSE ? raiseDense(stored!, updates) : raiseSparse(stored, updates);
}

/** The union of an exact sketch's hashes (none when `stored` is null) and the new ones. */
function raiseExact(
  stored: Uint8Array | null,
  hashes: BigUint64Array,
  legacyUpdates: number[],
): Buffer | null {
  const storedCount = stored === null ? 0 : exactCount(stored);
  const storedHashes = new BigUint64Array(storedCount);
  if (stored !== null) readExactHashes(stored, storedHashes);
  const union = unionOfSorted(storedHashes, sortDistinct(hashes));
  if (legacyUpdates.length === 0) {
    if (union.length === storedCount) return null; // every visitor was there already
    if (union.length <= EXACT_LIMIT) return exactSketchBytes(union);
  }
  const updates = registerUpdates(union);
  for (const update of legacyUpdates) updates.push(update);
  return raiseSparse(
    null,
    updates.sort((a, b) => a - b),
  );
}

function raiseDense(stored: Uint8Array, updates: readonly number[]): Buffer | null {
  let out: Buffer | undefined;
  for (const update of updates) {
    const at = HEADER + (update >>> 6);
    const rank = update & 63;
    if ((out ?? stored)[at] >= rank) continue;
    out ??= Buffer.from(stored);
    out[at] = rank;
  }
  return out ?? null;
}

/** Merges the sorted updates into the sorted stored entries (both as index * 64 + rank). */
function raiseSparse(stored: Uint8Array | null, updates: readonly number[]): Buffer | null {
  const end = stored === null ? HEADER : stored.length;
  const merged: number[] = [];
  let changed = false;
  let at = HEADER;
  let next = 0;
  let previousStored = -1;
  while (at < end || next < updates.length) {
    let storedEntry = HLL_REGISTERS * 64; // past every index: none left
    if (at < end) {
      storedEntry = sparseEntryAt(stored!, at);
      if (storedEntry >>> 6 <= previousStored)
        throw new TypeError('corrupt sparse HyperLogLog sketch');
    }
    const storedIndex = storedEntry >>> 6;
    const updateIndex = next < updates.length ? updates[next] >>> 6 : HLL_REGISTERS;
    const index = Math.min(storedIndex, updateIndex);
    let rank = 0;
    if (storedIndex === index) {
      rank = storedEntry & 63;
      previousStored = index;
      at += 3;
    }
    for (; next < updates.length && updates[next] >>> 6 === index; next++) {
      const raised = updates[next] & 63;
      if (raised > rank) {
        rank = raised;
        changed = true;
      }
    }
    merged.push(index * 64 + rank);
  }
  if (!changed) return null;
  if (merged.length <= SPARSE_LIMIT) return sparseSketchBytes(merged);
  const registers = new Uint8Array(HLL_REGISTERS);
  for (const entry of merged) registers[entry >>> 6] = entry & 63;
  return denseSketchBytes(registers);
}
