import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSpool } from './file-spool';
import type { FileSpoolOptions } from './file-spool.options';

interface Rec {
  id: number;
  text: string;
}

const rec = (id: number): Rec => ({ id, text: `record ${id} ${'x'.repeat(100)}` });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let dir: string;
const open: FileSpool<Rec>[] = [];

async function openSpool(options: Partial<FileSpoolOptions> = {}): Promise<FileSpool<Rec>> {
  const spool = await FileSpool.open<Rec>({ directory: dir, segmentBytes: 64 * 1024, ...options });
  open.push(spool);
  return spool;
}

/** Segment files and their sizes, oldest first. */
async function segments(): Promise<Array<{ name: string; size: number }>> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })),
  );
}

/** Polls until no segment file holds bytes: the drained one was retired. */
async function noReplayedSegment(): Promise<Array<{ name: string; size: number }>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = await segments();
    if (found.every((s) => s.size === 0) || Date.now() > deadline) return found;
    await sleep(10);
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-spool-retire-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((spool) => spool.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('FileSpool: replayed segments', () => {
  it('deletes the segment being written once every record in it is acknowledged', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 50).map(rec));
    const [written] = await segments();
    expect(written.size).toBeGreaterThan(5_000);

    const batch = await spool.readBatch(1_000);
    await spool.ack(batch.cursor);

    const left = await noReplayedSegment();
    expect(left).toHaveLength(1);
    expect(left[0]).toEqual({ name: expect.any(String), size: 0 });
    expect(left[0].name).not.toBe(written.name);
    expect(spool.stats()).toEqual(expect.objectContaining({ depth: 0, bytes: 0, segments: 1 }));

    // Appending and reading go on in the new segment.
    await spool.append([rec(50)]);
    expect((await spool.readBatch()).records).toEqual([rec(50)]);
  });

  it('keeps a segment while any record in it is unacknowledged (crash safety)', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 50).map(rec));
    const [written] = await segments();
    const part = await spool.readBatch(49);
    await spool.ack(part.cursor);
    await sleep(100);
    expect(await segments()).toEqual([written]);

    // A restart still finds the one unacknowledged record.
    await spool.close();
    const reopened = await openSpool();
    expect((await reopened.readBatch()).records).toEqual([rec(49)]);
  });

  it('deletes every segment of a long replay, sealed and active, and a restart finds nothing to replay', async () => {
    const spool = await openSpool();
    for (let n = 0; n < 2_000; n += 100) await spool.append(range(n, n + 100).map(rec));
    expect((await segments()).length).toBeGreaterThan(3);

    const ids: number[] = [];
    for (;;) {
      const batch = await spool.readBatch(300);
      if (batch.records.length === 0) break;
      ids.push(...batch.records.map((r) => r.id));
      await spool.ack(batch.cursor);
    }
    expect(ids).toEqual(range(0, 2_000));
    const left = await noReplayedSegment();
    expect(left.every((s) => s.size === 0)).toBe(true);
    expect(left).toHaveLength(1);

    await spool.close();
    const reopened = await openSpool();
    expect(reopened.depth()).toBe(0);
    expect((await reopened.readBatch()).records).toEqual([]);
  });

  it('deletes at open a segment an earlier run left fully acknowledged', async () => {
    const first = await openSpool();
    await first.append(range(0, 20).map(rec));
    await first.ack((await first.readBatch()).cursor);
    // Closed at once, possibly before the retirement ran: the file may still be there.
    await first.close();

    const second = await openSpool();
    const left = await noReplayedSegment();
    expect(left.every((s) => s.size === 0)).toBe(true);
    expect(second.depth()).toBe(0);
  });

  it('loses no append made while the drained segment is being retired', async () => {
    const spool = await openSpool();
    const ids: number[] = [];
    for (let round = 0; round < 30; round++) {
      const appends = [spool.append([rec(round * 2)]), spool.append([rec(round * 2 + 1)])];
      const batch = await spool.readBatch(1_000);
      ids.push(...batch.records.map((r) => r.id));
      // The ack triggers a retirement that races the next round's appends.
      await Promise.all([spool.ack(batch.cursor), ...appends]);
    }
    for (;;) {
      const batch = await spool.readBatch(1_000);
      if (batch.records.length === 0) break;
      ids.push(...batch.records.map((r) => r.id));
      await spool.ack(batch.cursor);
    }
    expect(ids).toEqual(range(0, 60));
    expect((await noReplayedSegment()).every((s) => s.size === 0)).toBe(true);
  });
});
