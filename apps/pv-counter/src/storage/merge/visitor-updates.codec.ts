/** The visitors of one (UTC day, page) in a flush, as packed register updates (`visitorUpdate`). */
export interface VisitorUpdates {
  /** `YYYY-MM-DD`. */
  readonly day: string;
  readonly pageId: string;
  readonly updates: readonly number[];
}

/** {@link VisitorUpdates} whose update array belongs to the holder, which may reorder it. */
export interface OwnedVisitorUpdates extends VisitorUpdates {
  readonly updates: number[];
}

/** Bytes of a day (`YYYY-MM-DD`, ASCII). */
const DAY_BYTES = 10;
/** Day, page id length (uint16), update count (uint32). */
const ENTRY_HEAD = DAY_BYTES + 2 + 4;
const DAY_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Packs a flush's visitor updates into one `page_visitor_updates` row: per entry the day (10 ASCII
 * bytes), the page id's UTF-8 length (uint16) and bytes, the update count (uint32) and the updates
 * (uint32 each), big-endian. One binary parameter, so node-postgres sends it as raw bytes.
 *
 * @throws RangeError for a day not shaped `YYYY-MM-DD` or a page id over 65,535 UTF-8 bytes
 *   (the contract allows 200 characters, at most 800 bytes)
 */
export function encodeVisitorUpdates(entries: readonly VisitorUpdates[]): Buffer {
  let size = 0;
  const pageBytes = new Array<number>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const { day, pageId, updates } = entries[i];
    if (!DAY_SHAPE.test(day))
      throw new RangeError(`visitor updates: day ${JSON.stringify(day)} is not YYYY-MM-DD`);
    pageBytes[i] = Buffer.byteLength(pageId);
    if (pageBytes[i] > 0xffff)
      throw new RangeError(`visitor updates: page id of ${pageBytes[i]} bytes is too long`);
    size += ENTRY_HEAD + pageBytes[i] + 4 * updates.length;
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < entries.length; i++) {
    const { day, pageId, updates } = entries[i];
    at += out.write(day, at, DAY_BYTES, 'latin1');
    at = out.writeUInt16BE(pageBytes[i], at);
    at += out.write(pageId, at, pageBytes[i], 'utf8');
    at = out.writeUInt32BE(updates.length, at);
    for (const update of updates) at = out.writeUInt32BE(update, at);
  }
  return out;
}

/**
 * The entries of {@link encodeVisitorUpdates}' bytes, in order.
 *
 * @throws RangeError when the bytes end inside an entry (a row that is not ours, or truncated)
 */
export function decodeVisitorUpdates(bytes: Buffer): VisitorUpdates[] {
  const entries: VisitorUpdates[] = [];
  let at = 0;
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
    need(4 * count);
    const updates = new Array<number>(count);
    for (let i = 0; i < count; i++, at += 4) updates[i] = bytes.readUInt32BE(at);
    entries.push({ day, pageId, updates });
  }
  return entries;
}
