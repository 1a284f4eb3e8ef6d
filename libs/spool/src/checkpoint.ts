import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './segment-files';

const CHECKPOINT_FILE = 'checkpoint.json';

/** The durable read position: everything before `offset` of segment `segment` is acknowledged. */
export interface Checkpoint {
  readonly segment: number;
  readonly offset: number;
}

/** Reads the checkpoint of a spool directory; undefined when there is none (a new spool). */
export async function readCheckpoint(dir: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Written by rename, so it is whole or absent; anything else was not written by us.
  const parsed = JSON.parse(text) as Partial<Checkpoint>;
  const { segment, offset } = parsed;
  if (
    !Number.isSafeInteger(segment) ||
    !Number.isSafeInteger(offset) ||
    segment! < 0 ||
    offset! < 0
  ) {
    throw new Error(
      `${join(dir, CHECKPOINT_FILE)} is not a spool checkpoint: ${text.slice(0, 200)}`,
    );
  }
  return { segment: segment!, offset: offset! };
}

/** Persists the checkpoint atomically (temp file, fsync, rename, directory fsync). */
export function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  return writeFileAtomic(
    dir,
    CHECKPOINT_FILE,
    JSON.stringify({ segment: checkpoint.segment, offset: checkpoint.offset }),
  );
}
