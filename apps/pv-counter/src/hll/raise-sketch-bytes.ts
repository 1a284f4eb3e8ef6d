import {
  FORMAT_DENSE,
  FORMAT_SPARSE,
  HEADER,
  HLL_PRECISION,
  HLL_REGISTERS,
  MAX_RANK,
  SPARSE_LIMIT,
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
  if (stored !== null) checkFormat(stored);
  updates.sort((a, b) => a - b); // by index, then rank
  return stored !== null && stored[0] === FORMAT_DENSE
    ? raiseDense(stored, updates)
    : raiseSparse(stored, updates);
}

function checkFormat(bytes: Uint8Array): void {
  if (bytes.length < HEADER || bytes[1] !== HLL_PRECISION)
    throw new TypeError('not a HyperLogLog sketch of precision 14');
  if (bytes[0] === FORMAT_DENSE && bytes.length === HEADER + HLL_REGISTERS) return;
  if (bytes[0] === FORMAT_SPARSE && (bytes.length - HEADER) % 3 === 0) return;
  throw new TypeError('unknown HyperLogLog sketch format');
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
    let storedIndex = HLL_REGISTERS; // past every index: none left
    if (at < end) {
      storedIndex = (stored![at] << 8) | stored![at + 1];
      const storedRank = stored![at + 2];
      if (
        storedIndex <= previousStored ||
        storedIndex >= HLL_REGISTERS ||
        storedRank < 1 ||
        storedRank > MAX_RANK
      )
        throw new TypeError('corrupt sparse HyperLogLog sketch');
    }
    const updateIndex = next < updates.length ? updates[next] >>> 6 : HLL_REGISTERS;
    const index = Math.min(storedIndex, updateIndex);
    let rank = 0;
    if (storedIndex === index) {
      rank = stored![at + 2];
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
  return merged.length > SPARSE_LIMIT ? denseBytes(merged) : sparseBytes(merged);
}

function sparseBytes(entries: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(HEADER + entries.length * 3);
  out[0] = FORMAT_SPARSE;
  out[1] = HLL_PRECISION;
  let at = HEADER;
  for (const entry of entries) {
    const index = entry >>> 6;
    out[at] = index >>> 8;
    out[at + 1] = index & 0xff;
    out[at + 2] = entry & 63;
    at += 3;
  }
  return out;
}

function denseBytes(entries: readonly number[]): Buffer {
  const out = Buffer.alloc(HEADER + HLL_REGISTERS);
  out[0] = FORMAT_DENSE;
  out[1] = HLL_PRECISION;
  for (const entry of entries) out[HEADER + (entry >>> 6)] = entry & 63;
  return out;
}
