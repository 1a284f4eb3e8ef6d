import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpoint } from './checkpoint';
import { listSegmentIds, removeFile, segmentFileName, syncDirectory } from './segment-files';
import { walkSegment } from './segment-walk';

/** One segment file as the spool tracks it. */
export interface Segment {
  readonly id: number;
  readonly path: string;
  /** Bytes on disk that hold whole, synced frames; the next write goes here. */
  size: number;
  /** Sequence number just after the segment's last record (see {@link SpoolPosition}). */
  endSeq: number;
}

/**
 * A record boundary: byte `offset` of segment `segment`, and `seq`, the number of records before
 * it counted from the first record that was unacknowledged when the spool was opened.
 */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
  readonly seq: number;
}

/** The state found on disk. */
export interface RecoveredSpool {
  /** Oldest first; never empty: the last one is where appends go. */
  readonly segments: Segment[];
  /** The first unacknowledged record. */
  readonly head: SpoolPosition;
  /** Bytes of torn or corrupt tails cut off. */
  readonly tornBytes: number;
}

/**
 * Rebuilds a spool's state from its directory after a clean close or a crash: drops segments the
 * checkpoint says are acknowledged, checks every frame from the checkpoint on, and truncates a
 * segment at its first bad frame (a write torn by a crash: its append never resolved, so nobody
 * was told it was stored). Creates the first segment of a new spool.
 */
export async function recoverSpool(dir: string): Promise<RecoveredSpool> {
  const checkpoint = await readCheckpoint(dir);
  const ids: number[] = [];
  for (const id of await listSegmentIds(dir)) {
    // Fully acknowledged; a crash between the checkpoint write and the delete leaves them here.
    if (checkpoint && id < checkpoint.segment) await removeFile(join(dir, segmentFileName(id)));
    else ids.push(id);
  }
  const headOffset = checkpoint && ids[0] === checkpoint.segment ? checkpoint.offset : 0;

  const segments: Segment[] = [];
  let seq = 0;
  let tornBytes = 0;
  let headStart = 0;
  for (const [index, id] of ids.entries()) {
    const path = join(dir, segmentFileName(id));
    const handle = await open(path, 'r+');
    try {
      const { size } = await handle.stat();
      const start = index === 0 ? Math.min(headOffset, size) : 0;
      if (index === 0) headStart = start;
      const walk = await walkSegment(handle, start, size, () => true);
      if (walk.offset < size) {
        tornBytes += size - walk.offset;
        await handle.truncate(walk.offset);
        await handle.sync();
      }
      seq += walk.records;
      segments.push({ id, path, size: walk.offset, endSeq: seq });
    } finally {
      await handle.close();
    }
  }

  if (segments.length === 0) {
    const id = (checkpoint?.segment ?? 0) + 1;
    const path = join(dir, segmentFileName(id));
    await (await open(path, 'wx')).close();
    await syncDirectory(dir);
    segments.push({ id, path, size: 0, endSeq: 0 });
  }
  return { segments, head: { segment: segments[0].id, offset: headStart, seq: 0 }, tornBytes };
}
