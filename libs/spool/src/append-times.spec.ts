import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendTimes, recoveredAppendTimes } from './append-times';

describe('AppendTimes', () => {
  it('dates the oldest unacknowledged record by the group it was written in', () => {
    const times = new AppendTimes();
    expect(times.oldest(0)).toBeUndefined();
    times.add(3, 1_000); // records 0-2
    times.add(5, 2_000); // records 3-4
    expect(times.oldest(0)).toBe(1_000);
    expect(times.oldest(2)).toBe(1_000);
    expect(times.oldest(3)).toBe(2_000);
    expect(times.oldest(5)).toBeUndefined();
    times.add(6, 3_000);
    expect(times.oldest(5)).toBe(3_000);
  });

  it('dates records recovered at open by their segment file’s modification time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'append-times-'));
    try {
      const old = join(dir, 'a');
      const recent = join(dir, 'b');
      await writeFile(old, 'x');
      await writeFile(recent, 'y');
      await utimes(old, 1_000, 1_000);
      await utimes(recent, 2_000, 2_000);
      const times = await recoveredAppendTimes([
        { path: old, size: 10, endSeq: 4 },
        { path: recent, size: 10, endSeq: 9 },
        { path: join(dir, 'empty'), size: 0, endSeq: 9 },
      ]);
      expect(times.oldest(0)).toBe(1_000_000);
      expect(times.oldest(4)).toBe(2_000_000);
      expect(times.oldest(9)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
