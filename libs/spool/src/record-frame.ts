import { crc32 } from 'node:zlib';

/**
 * On-disk framing of one record:
 *
 *   u32 BE crc32(length ‖ payload) | u32 BE length | payload (UTF-8 JSON, `length` bytes)
 *
 * The checksum covers the length too, so a zero-filled tail (a crash after the file grew but
 * before its data reached the disk) and a torn header are both detected: crc32 of four zero
 * bytes is not zero, and a payload is never empty.
 */
export const FRAME_HEADER_BYTES = 8;

/** Larger records are refused; it also bounds how far a corrupt length can send a reader. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Several records framed into one buffer, ready for a single write. */
export interface EncodedRecords {
  readonly buffer: Buffer;
  readonly count: number;
}

/** Frames records as JSON into one contiguous buffer (one allocation per batch). */
export function encodeRecords(records: readonly unknown[]): EncodedRecords {
  const payloads = new Array<string>(records.length);
  const sizes = new Array<number>(records.length);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const json = JSON.stringify(records[i]);
    if (json === undefined) throw new TypeError(`record ${i} cannot be serialised as JSON`);
    const size = Buffer.byteLength(json, 'utf8');
    if (size > MAX_RECORD_BYTES) {
      throw new RangeError(
        `record ${i} has ${size} bytes; at most ${MAX_RECORD_BYTES} are allowed`,
      );
    }
    payloads[i] = json;
    sizes[i] = size;
    total += FRAME_HEADER_BYTES + size;
  }
  const buffer = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < payloads.length; i++) {
    const size = sizes[i];
    buffer.writeUInt32BE(size, at + 4);
    buffer.write(payloads[i], at + FRAME_HEADER_BYTES, size, 'utf8');
    buffer.writeUInt32BE(crc32(buffer.subarray(at + 4, at + FRAME_HEADER_BYTES + size)), at);
    at += FRAME_HEADER_BYTES + size;
  }
  return { buffer, count: records.length };
}

/** What is found at a position of a buffer holding part of a segment. */
export type DecodedFrame =
  | { readonly kind: 'record'; readonly payload: Buffer; readonly end: number }
  /** The buffer ends inside this frame; `needed` is the whole frame's size when known. */
  | { readonly kind: 'partial'; readonly needed: number }
  | { readonly kind: 'corrupt' };

/** Decodes the frame at `at` of `buffer[0, length)`; `end` is relative to the buffer. */
export function decodeFrame(buffer: Buffer, at: number, length: number): DecodedFrame {
  if (length - at < FRAME_HEADER_BYTES) return { kind: 'partial', needed: FRAME_HEADER_BYTES };
  const size = buffer.readUInt32BE(at + 4);
  if (size === 0 || size > MAX_RECORD_BYTES) return { kind: 'corrupt' };
  const end = at + FRAME_HEADER_BYTES + size;
  if (end > length) return { kind: 'partial', needed: FRAME_HEADER_BYTES + size };
  if (crc32(buffer.subarray(at + 4, end)) !== buffer.readUInt32BE(at)) return { kind: 'corrupt' };
  return { kind: 'record', payload: buffer.subarray(at + FRAME_HEADER_BYTES, end), end };
}
