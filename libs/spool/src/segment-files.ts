import { open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

const SEGMENT_SUFFIX = '.seg';
const SEGMENT_NAME = /^(\d{16})\.seg$/;

/** The file name of segment `id`: zero-padded so that names sort like ids. */
export function segmentFileName(id: number): string {
  return `${String(id).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** The ids of the segment files in `dir`, oldest first. */
export async function listSegmentIds(dir: string): Promise<number[]> {
  const ids: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT_NAME.exec(name);
    if (match) ids.push(Number(match[1]));
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Makes a directory's entries (created, renamed or removed files) durable. Without it a new
 * segment or a renamed checkpoint may vanish after a power loss even though its data was synced.
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems refuse fsync on a directory; there is nothing more we can do there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error;
  } finally {
    await handle.close();
  }
}

/** Replaces `file` with `data` atomically and durably: write a temp file, fsync, rename, fsync dir. */
export async function writeFileAtomic(dir: string, file: string, data: string): Promise<void> {
  const target = join(dir, file);
  const temp = `${target}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, target);
  await syncDirectory(dir);
}

/** Removes a file; a file that is already gone is fine. */
export async function removeFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Writes all of `buffers` at `position` (one writev; a short write is finished piecewise). */
export async function writeFully(
  handle: FileHandle,
  buffers: Buffer[],
  position: number,
): Promise<void> {
  const total = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
  const { bytesWritten } = await handle.writev(buffers, position);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const result = await handle.write(
      rest,
      done,
      rest.length - done,
      position + bytesWritten + done,
    );
    if (result.bytesWritten === 0)
      throw new Error(`short write at ${position + bytesWritten + done}`);
    done += result.bytesWritten;
  }
}
