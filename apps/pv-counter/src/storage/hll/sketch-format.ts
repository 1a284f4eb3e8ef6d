import {
  HASH_BYTES,
  HLL_PRECISION,
  HLL_REGISTERS,
  MAX_RANK,
  readHashes,
  strictlyAscending,
  writeHashes,
} from './visitor-hashes';

/**
 * Byte format of `page_visitors_daily.hll`: [format, precision, ...].
 * - exact (3): the visitors' distinct 64-bit hashes, ascending, 8 bytes each (little-endian), at
 *   most EXACT_LIMIT of them: the count is their number;
 * - sparse (1): HyperLogLog registers as (u16 BE index, u8 rank)* in ascending index order, each
 *   index once;
 * - dense (2): one byte per register.
 * Sparse and dense are the formats written before exact sketches existed, unchanged, so stored
 * sketches of either keep reading and merging as they did.
 */
export const FORMAT_SPARSE = 1;
export const FORMAT_DENSE = 2;
export const FORMAT_EXACT = 3;
export type SketchFormat = typeof FORMAT_SPARSE | typeof FORMAT_DENSE | typeof FORMAT_EXACT;
/** Bytes before the registers or hashes: format and precision. */
export const HEADER = 2;
/** Above this many set registers the sketch turns dense (3 bytes per sparse entry vs 1 per register). */
export const SPARSE_LIMIT = Math.floor(HLL_REGISTERS / 4);
/**
 * Up to this many distinct visitors a sketch keeps their hashes and counts exactly (8 KB at the
 * limit); one more turns it into HyperLogLog registers of them all.
 */
export const EXACT_LIMIT = 1_000;

/**
 * The format byte of stored sketch bytes after checking the header and the length; throws a
 * TypeError on anything else.
 */
export function sketchFormat(bytes: Uint8Array): SketchFormat {
  if (bytes.length < HEADER || bytes[1] !== HLL_PRECISION)
    throw new TypeError('not a HyperLogLog sketch of precision 14');
  if (bytes[0] === FORMAT_EXACT) {
    const hashBytes = bytes.length - HEADER;
    if (hashBytes % HASH_BYTES === 0 && hashBytes / HASH_BYTES <= EXACT_LIMIT) return FORMAT_EXACT;
  }
  if (bytes[0] === FORMAT_DENSE && bytes.length === HEADER + HLL_REGISTERS) return FORMAT_DENSE;
  if (bytes[0] === FORMAT_SPARSE && (bytes.length - HEADER) % 3 === 0) return FORMAT_SPARSE;
  throw new TypeError('unknown HyperLogLog sketch format');
}

/** The number of hashes of exact sketch bytes (whose format was checked). */
export function exactCount(bytes: Uint8Array): number {
  return (bytes.length - HEADER) / HASH_BYTES;
}

/**
 * Copies the hashes of exact sketch bytes (whose format was checked) into the front of `into`;
 * throws a TypeError unless they are strictly ascending (a corrupt row must not be overwritten).
 */
export function readExactHashes(bytes: Uint8Array, into: BigUint64Array): void {
  const hashes = into.subarray(0, exactCount(bytes));
  readHashes(bytes, HEADER, hashes);
  if (!strictlyAscending(hashes)) throw new TypeError('corrupt exact visitor sketch');
}

/** Exact sketch bytes of distinct hashes in ascending order (at most EXACT_LIMIT). */
export function exactSketchBytes(sortedHashes: BigUint64Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + sortedHashes.length * HASH_BYTES);
  out[0] = FORMAT_EXACT;
  out[1] = HLL_PRECISION;
  writeHashes(sortedHashes, out, HEADER);
  return out;
}

/** The sparse entry at byte `at`, packed as `index * 64 + rank`; throws a TypeError on a bad one. */
export function sparseEntryAt(bytes: Uint8Array, at: number): number {
  const index = (bytes[at] << 8) | bytes[at + 1];
  const rank = bytes[at + 2];
  if (index >= HLL_REGISTERS || rank < 1 || rank > MAX_RANK)
    throw new TypeError('corrupt sparse HyperLogLog sketch');
  return index * 64 + rank;
}

/** Sparse sketch bytes of packed entries (`index * 64 + rank`) in ascending index order. */
export function sparseSketchBytes(entries: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(HEADER + entries.length * 3);
  out[0] = FORMAT_SPARSE;
  out[1] = HLL_PRECISION;
  let at = HEADER;
  for (const entry of entries) {
    out.writeUInt16BE(entry >>> 6, at);
    out[at + 2] = entry & 63;
    at += 3;
  }
  return out;
}

/** Dense sketch bytes of the registers. */
export function denseSketchBytes(registers: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + HLL_REGISTERS);
  out[0] = FORMAT_DENSE;
  out[1] = HLL_PRECISION;
  out.set(registers, HEADER);
  return out;
}
