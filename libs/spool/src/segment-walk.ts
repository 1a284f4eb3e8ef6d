import type { FileHandle } from 'node:fs/promises';
import { decodeFrame } from './record-frame';

/** Segments are read in chunks of this size: one syscall per chunk, not per record. */
export const READ_CHUNK_BYTES = 1024 * 1024;

/** Why a walk stopped. */
export type WalkStop =
  /** Reached `end` exactly on a frame boundary. */
  | 'end'
  /** The visitor declined a record. */
  | 'limit'
  /** The bytes before `end` are an incomplete frame (a torn write). */
  | 'torn'
  /** A frame failed its checksum or has an impossible length. */
  | 'corrupt';

/** Where a walk stopped: `offset` is just after the last record the visitor took. */
export interface WalkResult {
  readonly offset: number;
  readonly records: number;
  readonly stop: WalkStop;
}

/**
 * Receives each valid record's payload (only valid during the call: the chunk is reused) and the
 * offset just after it; returns false to stop before taking this record.
 */
export type FrameVisitor = (payload: Buffer, frameEnd: number) => boolean;

/** Reads the frames of a segment file between `start` and `end`, in order, chunk by chunk. */
export async function walkSegment(
  handle: FileHandle,
  start: number,
  end: number,
  visit: FrameVisitor,
): Promise<WalkResult> {
  let chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, Math.max(end - start, 1)));
  let chunkStart = start; // file offset of chunk[0]
  let filled = 0;
  let offset = start;
  let records = 0;
  for (;;) {
    const decoded = decodeFrame(chunk, offset - chunkStart, filled);
    if (decoded.kind === 'corrupt') return { offset, records, stop: 'corrupt' };
    if (decoded.kind === 'record') {
      const frameEnd = chunkStart + decoded.end;
      if (!visit(decoded.payload, frameEnd)) return { offset, records, stop: 'limit' };
      offset = frameEnd;
      records++;
      if (offset === end) return { offset, records, stop: 'end' };
      continue;
    }
    // Partial: the frame continues past what is buffered.
    if (chunkStart + filled >= end)
      return { offset, records, stop: offset === end ? 'end' : 'torn' };
    if (offset + decoded.needed > end) return { offset, records, stop: 'torn' };
    const kept = chunkStart + filled - offset;
    if (decoded.needed > chunk.length) {
      const bigger = Buffer.allocUnsafe(decoded.needed);
      chunk.copy(bigger, 0, offset - chunkStart, filled);
      chunk = bigger;
    } else {
      chunk.copy(chunk, 0, offset - chunkStart, filled);
    }
    chunkStart = offset;
    filled = kept;
    const wanted = Math.min(chunk.length - filled, end - (chunkStart + filled));
    const { bytesRead } = await handle.read(chunk, filled, wanted, chunkStart + filled);
    // The file is shorter than `end` said: whatever frame was started there is torn.
    if (bytesRead === 0)
      return { offset, records, stop: offset === chunkStart + filled ? 'end' : 'torn' };
    filled += bytesRead;
  }
}
