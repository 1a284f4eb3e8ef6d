import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { listSegmentIds } from '../segment-files';

/** How deep under `${DATA_DIR}/spool` spools are looked for (`ingest`, `logs/<app>`). */
const MAX_DEPTH = 3;

/** One spool found on disk: its directory and its path under `${DATA_DIR}/spool` as its name. */
export interface FoundSpool {
  readonly name: string;
  readonly directory: string;
}

/**
 * The spools under `${dataDir}/spool`: every directory holding segment files, ingest's own
 * (`ingest`) and the log-shipping ones (`logs/<app>`) alike, in name order. None when the
 * directory does not exist.
 */
export async function findSpools(dataDir: string): Promise<FoundSpool[]> {
  const root = join(dataDir, 'spool');
  const found: FoundSpool[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (depth > 0 && (await listSegmentIds(dir)).length > 0) {
      found.push({ name: relative(root, dir), directory: dir });
    }
    if (depth >= MAX_DEPTH) return;
    for (const entry of entries) {
      if (entry.isDirectory()) await visit(join(dir, entry.name), depth + 1);
    }
  };
  await visit(root, 0);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
