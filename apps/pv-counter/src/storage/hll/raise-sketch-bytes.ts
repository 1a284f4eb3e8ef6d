import {
  denseSketchBytes,
  FORMAT_DENSE,
  HEADER,
  HLL_REGISTERS,
  SPARSE_LIMIT,
  sketchFormat,
  sparseEntryAt,
  sparseSketchBytes,
} from './hyperloglog';

/**
 * A stored sketch's bytes (`null`: none yet) raised by packed register updates (from
 * `visitorUpdate`): the new bytes, or `null` when no register changes. The bytes are exactly
 * those of `HyperLogLog.fromBytes(stored)`, each update applied, then `toBytes()`.
 *
 * Why on bytes: a flush merges the stored sketches of thousands of pages. Decoding each sparse
 * one into a Map and sorting it back out was most of a flush's JavaScript time; merging the
 * sorted updates into the sorted stored entries is one linear walk.
 *
 * Sorts `updates` in place. Throws a TypeError on bytes that are not a sketch, so that a corrupt
 * row fails its flush rather than being overwritten.
 */
export function raiseSketchBytes(stored: Uint8Array | null, updates: number[]): Buffer | null {
  const dense = stored !== null && sketchFormat(stored) === FORMAT_DENSE;
  updates.sort((a, b) => a - b); // by index, then rank
  return dense ? raiseDense(stored!, updates) : raiseSparse(stored, updates);
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
