import { xxh3 } from '@node-rs/xxhash';

/** Bits of a hash that pick the register: the HyperLogLog's precision (16 384 registers). */
export const HLL_PRECISION = 14;
/** Number of registers. */
export const HLL_REGISTERS = 1 << HLL_PRECISION;
/** Hash bits left after the register index; a register holds 1..Q+1 (0: never set). */
export const Q = 64 - HLL_PRECISION;
/** The highest rank a register holds. */
export const MAX_RANK = Q + 1;
/** Bits of the rest (below the index) that sit in the high 32-bit word. */
const HIGH_BITS_OF_REST = Q - 32;
const REST_MASK = (1 << HIGH_BITS_OF_REST) - 1;
/** Bytes of one stored hash. */
export const HASH_BYTES = 8;

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Word positions of a hash's high and low 32 bits in a Uint32Array view of a BigUint64Array. */
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/**
 * The 64-bit hash of a visitor id (XXH3-64): what a flush records per visitor and an exact sketch
 * stores. Two visitors share a hash with probability 2^-64 per pair, about 3·10^-14 among 1,000.
 */
export function visitorUpdate(visitorId: string): bigint {
  return xxh3.xxh64(visitorId);
}

/**
 * The register update of a hash given as its two 32-bit words, packed as `index * 64 + rank`:
 * the top 14 bits pick the register, the rank is one more than the leading zeros of the other 50.
 */
export function registerUpdateOfWords(high: number, low: number): number {
  const rest = high & REST_MASK;
  const rank =
    rest !== 0
      ? Math.clz32(rest) - (32 - HIGH_BITS_OF_REST) + 1
      : HIGH_BITS_OF_REST + Math.clz32(low) + 1; // low 0 → Q + 1
  return (high >>> HIGH_BITS_OF_REST) * 64 + rank;
}

/** The register update (`index * 64 + rank`) one hash makes in a HyperLogLog. */
export function registerUpdate(hash: bigint): number {
  return registerUpdateOfWords(Number(hash >> 32n), Number(hash & 0xffffffffn));
}

/** The register updates of every hash, in the hashes' order (no bigint is made per hash). */
export function registerUpdates(hashes: BigUint64Array): number[] {
  const words = wordsOf(hashes);
  const updates = new Array<number>(hashes.length);
  for (let i = 0; i < hashes.length; i++)
    updates[i] = registerUpdateOfWords(words[2 * i + HI], words[2 * i + LO]);
  return updates;
}

/**
 * Sorts `hashes` in place (native numeric sort) and moves the distinct ones to the front; returns
 * that prefix. Compares 32-bit words, so no bigint is made per hash.
 */
export function sortDistinct(hashes: BigUint64Array): BigUint64Array {
  hashes.sort();
  const words = wordsOf(hashes);
  let kept = 0;
  for (let i = 0; i < hashes.length; i++) {
    const hi = words[2 * i + HI];
    const lo = words[2 * i + LO];
    if (kept > 0 && words[2 * (kept - 1) + HI] === hi && words[2 * (kept - 1) + LO] === lo)
      continue;
    words[2 * kept + HI] = hi;
    words[2 * kept + LO] = lo;
    kept++;
  }
  return hashes.subarray(0, kept);
}

/**
 * The union of two sorted sets of distinct hashes, sorted: one linear walk over their 32-bit
 * words (a stored exact sketch is sorted already, so only the new hashes need sorting).
 */
export function unionOfSorted(a: BigUint64Array, b: BigUint64Array): BigUint64Array {
  const out = new BigUint64Array(a.length + b.length);
  const x = wordsOf(a);
  const y = wordsOf(b);
  const o = wordsOf(out);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    const xh = x[2 * i + HI];
    const yh = y[2 * j + HI];
    const xl = x[2 * i + LO];
    const yl = y[2 * j + LO];
    if (xh < yh || (xh === yh && xl <= yl)) {
      o[2 * k + HI] = xh;
      o[2 * k + LO] = xl;
      i++;
      if (xh === yh && xl === yl) j++;
    } else {
      o[2 * k + HI] = yh;
      o[2 * k + LO] = yl;
      j++;
    }
    k++;
  }
  if (i < a.length) out.set(a.subarray(i), k);
  else if (j < b.length) out.set(b.subarray(j), k);
  k += a.length - i + (b.length - j);
  return out.subarray(0, k);
}

/** Whether the hashes are in strictly ascending order (sorted, each once). */
export function strictlyAscending(hashes: BigUint64Array): boolean {
  const words = wordsOf(hashes);
  for (let i = 1; i < hashes.length; i++) {
    const hi = words[2 * i + HI];
    const previousHi = words[2 * (i - 1) + HI];
    if (hi < previousHi || (hi === previousHi && words[2 * i + LO] <= words[2 * (i - 1) + LO]))
      return false;
  }
  return true;
}

/** Copies `into.length` little-endian hashes from `bytes` at byte `start` into `into`. */
export function readHashes(bytes: Uint8Array, start: number, into: BigUint64Array): void {
  const length = into.length * HASH_BYTES;
  if (LITTLE_ENDIAN) {
    new Uint8Array(into.buffer, into.byteOffset, length).set(bytes.subarray(start, start + length));
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < into.length; i++) into[i] = view.getBigUint64(start + i * HASH_BYTES, true);
}

/** Writes the hashes little-endian into `out` at byte `start`; returns the byte after them. */
export function writeHashes(hashes: BigUint64Array, out: Buffer, start: number): number {
  const length = hashes.length * HASH_BYTES;
  if (LITTLE_ENDIAN) out.set(new Uint8Array(hashes.buffer, hashes.byteOffset, length), start);
  else for (let i = 0; i < hashes.length; i++) out.writeBigUInt64LE(hashes[i], start + i * 8);
  return start + length;
}

function wordsOf(hashes: BigUint64Array): Uint32Array {
  return new Uint32Array(hashes.buffer, hashes.byteOffset, hashes.length * 2);
}
