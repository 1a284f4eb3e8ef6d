import { HASH_BYTES, readHashes } from '../hll/visitor-hashes';

/** The visitors of one (UTC day, page) in a flush. */
export interface VisitorUpdates {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly pageId: string;
  /** The visitors' hashes (`visitorUpdate`), in any order, repeats allowed. */
  readonly hashes: BigUint64Array | readonly bigint[];
  /**
   * Packed register updates (`index * 64 + rank`), only from rows written before flushes
   * recorded hashes (see {@link decodeVisitorUpdates}).
   */
  readonly legacyUpdates?: readonly number[];
}

/** {@link VisitorUpdates} whose arrays belong to the holder, which may reorder them. */
export interface OwnedVisitorUpdates extends VisitorUpdates {
  readonly hashes: BigUint64Array;
  readonly legacyUpdates: number[];
}

/**
 * First byte of a row of hashes. A row written before (packed register updates) starts with its
 * first entry's day, an ASCII digit (0x30–0x39), so the two never mix up.
 */
const HASHES_VERSION = 2;
/** Bytes of a day (`YYYY-MM-DD`, ASCII). */
const DAY_BYTES = 10;
/** Day, page id length (uint16), count (uint32). */
const ENTRY_HEAD = DAY_BYTES + 2 + 4;
/** Bytes of a packed register update in a row written before hashes. */
const LEGACY_UPDATE_BYTES = 4;
const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Packs a flush's visitors into one `page_visitor_updates` row: a version byte (2), then per
 * entry the day (10 ASCII bytes), the page id's UTF-8 length (uint16 BE) and bytes, the hash count
 * (uint32 BE) and the hashes (8 bytes each, little-endian, as exact sketches store them). One
 * binary parameter, so node-postgres sends it as raw bytes.
 *
 * @throws RangeError for a day not shaped `YYYY-MM-DD` or a page id over 65,535 UTF-8 bytes
 *   (the contract allows 200 characters, at most 800 bytes)
 */
export function encodeVisitorUpdates(entries: readonly VisitorUpdates[]): Buffer {
  let size = 1;
  const pageBytes = new Array<number>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const { day, pageId, hashes } = entries[i];
    if (!DAY_SHAPE.test(day))
      throw new RangeError(`visitor updates: day ${JSON.stringify(day)} is not YYYY-MM-DD`);
    pageBytes[i] = Buffer.byteLength(pageId);
    if (pageBytes[i] > 0xffff)
      throw new RangeError(`visitor updates: page id of ${pageBytes[i]} bytes is too long`);
    size += ENTRY_HEAD + pageBytes[i] + HASH_BYTES * hashes.length;
  }
  const out = Buffer.allocUnsafe(size);
  out[0] = HASHES_VERSION;
  let at = 1;
  for (let i = 0; i < entries.length; i++) {
    const { day, pageId, hashes } = entries[i];
    at += out.write(day, at, DAY_BYTES, 'latin1');
    at = out.writeUInt16BE(pageBytes[i], at);
    at += out.write(pageId, at, pageBytes[i], 'utf8');
    at = out.writeUInt32BE(hashes.length, at);
    for (let h = 0; h < hashes.length; h++) at = out.writeBigUInt64LE(hashes[h], at);
  }
  return out;
}

/**
 * The entries of {@link encodeVisitorUpdates}' bytes, in order, each with arrays of its own. A
 * row written before flushes recorded hashes (entries of uint32 BE packed register updates, no
 * version byte) still decodes, its updates in `legacyUpdates`: rows waiting at an upgrade are
 * merged, into registers, since they carry no hash.
 *
 * @throws RangeError when the bytes end inside an entry (a row that is not ours, or truncated)
 */
export function decodeVisitorUpdates(bytes: Buffer): OwnedVisitorUpdates[] {
  const hashed = bytes.length > 0 && bytes[0] === HASHES_VERSION;
  const entries: OwnedVisitorUpdates[] = [];
  let at = hashed ? 1 : 0;
  const need = (count: number) => {
    if (at + count > bytes.length)
      throw new RangeError(
        `visitor updates: entry at byte ${at} runs past the end (${bytes.length} bytes)`,
      );
  };
  while (at < bytes.length) {
    need(ENTRY_HEAD);
    const day = bytes.toString('latin1', at, at + DAY_BYTES);
    const pageLength = bytes.readUInt16BE(at + DAY_BYTES);
    at += DAY_BYTES + 2;
    need(pageLength + 4);
    const pageId = bytes.toString('utf8', at, at + pageLength);
    at += pageLength;
    const count = bytes.readUInt32BE(at);
    at += 4;
    if (hashed) {
      need(HASH_BYTES * count);
      const hashes = new BigUint64Array(count);
      readHashes(bytes, at, hashes);
      at += HASH_BYTES * count;
      entries.push({ day, pageId, hashes, legacyUpdates: [] });
      continue;
    }
    need(LEGACY_UPDATE_BYTES * count);
    const legacyUpdates = new Array<number>(count);
    for (let i = 0; i < count; i++, at += LEGACY_UPDATE_BYTES)
      legacyUpdates[i] = bytes.readUInt32BE(at);
    entries.push({ day, pageId, hashes: new BigUint64Array(0), legacyUpdates });
  }
  return entries;
}
