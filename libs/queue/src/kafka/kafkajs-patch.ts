import { StartupRefusal } from '@lib/config';
import { readFileSync } from 'node:fs';

/**
 * kafkajs files that patches/kafkajs+2.2.4.patch changes; each patched hunk says `Patched:`.
 * The transport relies on them (lazy record decoding, Java-compatible key hashing), so running
 * without them would be slower and would put keys on other partitions than Java producers do.
 */
const PATCHED_FILES = [
  'kafkajs/src/network/requestQueue/index.js',
  'kafkajs/src/producer/groupMessagesPerPartition.js',
  'kafkajs/src/producer/partitioners/default/murmur2.js',
  'kafkajs/src/protocol/encoder.js',
  'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  'kafkajs/src/protocol/requests/produce/v3/request.js',
] as const;

/** The installed kafkajs files that lack the project's patch (empty when it is applied). */
export function unpatchedKafkajsFiles(resolve: (id: string) => string = require.resolve): string[] {
  return PATCHED_FILES.filter((id) => !readFileSync(resolve(id), 'utf8').includes('Patched:'));
}

/** Stops start-up with one line when kafkajs was installed without the project's patch (e.g. `npm ci --ignore-scripts`). */
export function assertKafkajsPatched(resolve?: (id: string) => string): void {
  const missing = unpatchedKafkajsFiles(resolve);
  if (missing.length === 0) return;
  throw new StartupRefusal(
    `kafkajs is installed without patches/kafkajs+2.2.4.patch (${missing[0]}${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}): run \`npx patch-package\` (npm's install scripts apply it; --ignore-scripts skips them)`,
  );
}
