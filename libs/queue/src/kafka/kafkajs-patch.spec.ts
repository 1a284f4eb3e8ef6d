import { isStartupRefusal } from '@lib/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertKafkajsPatched, unpatchedKafkajsFiles } from './kafkajs-patch';

describe('kafkajs patch guard', () => {
  it('finds every patched file patched in this install', () => {
    expect(unpatchedKafkajsFiles()).toEqual([]);
    expect(() => assertKafkajsPatched()).not.toThrow();
  });

  it('stops start-up with one line naming the file and the fix when the patch is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafkajs-unpatched-'));
    try {
      const plain = join(dir, 'plain.js');
      writeFileSync(plain, 'module.exports = {}\n');
      const resolve = (id: string) => (id.endsWith('murmur2.js') ? plain : require.resolve(id));
      expect(unpatchedKafkajsFiles(resolve)).toEqual([
        'kafkajs/src/producer/partitioners/default/murmur2.js',
      ]);
      let error: unknown;
      try {
        assertKafkajsPatched(resolve);
      } catch (e) {
        error = e;
      }
      expect(isStartupRefusal(error)).toBe(true);
      expect((error as Error).message).toBe(
        "kafkajs is installed without patches/kafkajs+2.2.4.patch (kafkajs/src/producer/partitioners/default/murmur2.js): run `npx patch-package` (npm's install scripts apply it; --ignore-scripts skips them)",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
