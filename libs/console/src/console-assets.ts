import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One file of the page, read once at start-up. */
export interface ConsoleAsset {
  readonly contentType: string;
  readonly body: string;
}

const TYPES: Record<string, string> = {
  'console.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

/** Reads the page's files from `public/` beside this file (copied into dist/ by the build). */
export function loadConsoleAssets(dir = join(__dirname, 'public')): Map<string, ConsoleAsset> {
  return new Map(
    Object.entries(TYPES).map(([file, contentType]) => [
      file,
      { contentType, body: readFileSync(join(dir, file), 'utf8') },
    ]),
  );
}
