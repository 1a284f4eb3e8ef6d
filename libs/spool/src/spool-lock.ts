import { open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SpoolLockedError } from './spool.errors';
import { removeFile } from './segment-files';

const LOCK_FILE = 'spool.lock';

/**
 * Directories locked by this process. The lock file cannot tell a second open in this process
 * from a stale lock of an earlier process with the same pid (a restarted container is pid 1
 * again), so this process remembers its own.
 */
const heldHere = new Set<string>();

/** True when a process with this id exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the spool directory for this process. Two writers on one directory would interleave
 * frames, so a lock held by another live process refuses the open. A lock left by a dead
 * process (kill -9, crash) or by this same process id (a restarted container is pid 1 again) is
 * taken over. Best effort: it cannot see processes on other hosts sharing the directory.
 */
export async function acquireSpoolLock(dir: string): Promise<() => Promise<void>> {
  const key = resolve(dir);
  if (heldHere.has(key))
    throw new SpoolLockedError(`spool directory ${dir} is already open in this process`);
  heldHere.add(key);
  try {
    return await lockFile(key);
  } catch (error) {
    heldHere.delete(key);
    throw error;
  }
}

async function lockFile(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(String(process.pid), 'utf8');
      } finally {
        await handle.close();
      }
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        heldHere.delete(dir);
        await removeFile(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new SpoolLockedError(`spool directory ${dir} is in use by process ${holder}`);
    }
    await removeFile(path);
  }
  throw new SpoolLockedError(`spool directory ${dir} could not be locked`);
}
