import {
  appendFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  truncate,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSpool } from './file-spool';
import type { FileSpoolOptions } from './file-spool.options';
import {
  SpoolFullError,
  SpoolLockedError,
  SpoolWriteError,
  isSpoolFullError,
} from './spool.errors';

interface Rec {
  id: number;
  text: string;
}

const rec = (id: number): Rec => ({ id, text: `record ${id} ${'x'.repeat(id % 17)}` });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

let dir: string;
const open: FileSpool<Rec>[] = [];

async function openSpool(options: Partial<FileSpoolOptions> = {}): Promise<FileSpool<Rec>> {
  const spool = await FileSpool.open<Rec>({ directory: dir, ...options });
  open.push(spool);
  return spool;
}

/** Reads and acknowledges everything, in batches of `batch`; returns the ids in order. */
async function drainIds(spool: FileSpool<Rec>, batch = 37): Promise<number[]> {
  const ids: number[] = [];
  for (;;) {
    const { records, cursor } = await spool.readBatch(batch);
    if (records.length === 0) return ids;
    ids.push(...records.map((r) => r.id));
    await spool.ack(cursor);
  }
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'file-spool-'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((spool) => spool.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('FileSpool', () => {
  it('reads back appended records in order across many segments, and ack deletes finished segments', async () => {
    const spool = await openSpool({ segmentBytes: 1024 });
    for (let batch = 0; batch < 50; batch++) {
      await spool.append(range(batch * 20, batch * 20 + 20).map(rec));
    }
    expect(spool.depth()).toBe(1000);
    expect((await segmentFiles()).length).toBeGreaterThan(20);

    expect(await drainIds(spool)).toEqual(range(0, 1000));
    expect(spool.depth()).toBe(0);
    expect(spool.bytes()).toBe(0);
    expect((await segmentFiles()).length).toBeLessThanOrEqual(2);
  });

  it('returns the same records until they are acknowledged, and ignores a stale cursor', async () => {
    const spool = await openSpool();
    await spool.append(range(0, 10).map(rec));
    const first = await spool.readBatch(4);
    const again = await spool.readBatch(4);
    expect(again.records).toEqual(first.records);
    await spool.ack(first.cursor);
    await spool.ack(first.cursor);
    const next = await spool.readBatch(100);
    expect(next.records.map((r) => r.id)).toEqual(range(4, 10));
    await spool.ack(next.cursor);
    await spool.ack(first.cursor); // older than the position: ignored
    expect(spool.depth()).toBe(0);
  });

  it('dates the oldest unacknowledged record, across acks and a reopen', async () => {
    let spool = await openSpool({ segmentBytes: 1024 });
    expect(spool.stats().oldestAppendedAt).toBeUndefined();
    const before = Date.now();
    await spool.append(range(0, 40).map(rec));
    const first = spool.stats().oldestAppendedAt!;
    expect(first).toBeGreaterThanOrEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await spool.append(range(40, 80).map(rec));
    expect(spool.stats().oldestAppendedAt).toBe(first);

    await spool.ack((await spool.readBatch(40)).cursor);
    expect(spool.stats().oldestAppendedAt).toBeGreaterThan(first);
    await spool.close();

    spool = await openSpool({ segmentBytes: 1024 });
    const recovered = spool.stats().oldestAppendedAt!;
    expect(recovered).toBeGreaterThanOrEqual(first);
    expect(recovered).toBeLessThanOrEqual(Date.now());
    await drainIds(spool);
    expect(spool.stats().oldestAppendedAt).toBeUndefined();
  });

  it('limits a batch by bytes but always returns at least one record', async () => {
    const spool = await openSpool();
    await spool.append([
      { id: 1, text: 'a'.repeat(2000) },
      { id: 2, text: 'b' },
      { id: 3, text: 'c' },
    ]);
    expect((await spool.readBatch(10, 100)).records.map((r) => r.id)).toEqual([1]);
    const { cursor } = await spool.readBatch(1);
    await spool.ack(cursor);
    expect((await spool.readBatch(10, 100)).records.map((r) => r.id)).toEqual([2, 3]);
  });

  it('recovers unacknowledged records in order after a restart, and keeps appending after them', async () => {
    let spool = await openSpool({ segmentBytes: 2048 });
    for (let batch = 0; batch < 30; batch++)
      await spool.append(range(batch * 10, batch * 10 + 10).map(rec));
    const { records, cursor } = await spool.readBatch(120);
    expect(records).toHaveLength(120);
    await spool.ack(cursor);
    await spool.close();

    spool = await openSpool({ segmentBytes: 2048 });
    expect(spool.depth()).toBe(180);
    await spool.append(range(300, 310).map(rec));
    await spool.close();

    spool = await openSpool({ segmentBytes: 2048 });
    expect(spool.depth()).toBe(190);
    expect(await drainIds(spool)).toEqual(range(120, 310));
  });

  it('cuts off a torn record at the tail and keeps every record before it', async () => {
    let spool = await openSpool();
    await spool.append(range(0, 5).map(rec));
    await spool.append(range(5, 10).map(rec));
    await spool.close();
    const [last] = (await segmentFiles()).slice(-1);
    const size = (await stat(join(dir, last))).size;
    await truncate(join(dir, last), size - 7); // mid-way through record 9

    spool = await openSpool();
    expect(spool.stats().tornBytes).toBeGreaterThan(0);
    expect(spool.depth()).toBe(9);
    expect((await stat(join(dir, last))).size).toBeLessThan(size - 7);
    // New records land after the cut, not after the garbage.
    await spool.append([rec(100)]);
    expect(await drainIds(spool)).toEqual([...range(0, 9), 100]);
  });

  it('ignores a zero-filled or garbage tail and a record whose bytes changed', async () => {
    let spool = await openSpool();
    await spool.append(range(0, 4).map(rec));
    await spool.close();
    const [last] = (await segmentFiles()).slice(-1);
    await appendFile(join(dir, last), Buffer.alloc(4096));

    spool = await openSpool();
    expect(spool.stats().tornBytes).toBe(4096);
    expect(spool.depth()).toBe(4);
    await spool.close();

    // Flip one byte inside the payload of the last record: its checksum no longer matches.
    const file = join(dir, last);
    const bytes = await readFile(file);
    bytes[bytes.length - 3] ^= 0xff;
    await writeFile(file, bytes);
    spool = await openSpool();
    expect(spool.depth()).toBe(3);
    expect(await drainIds(spool)).toEqual([0, 1, 2]);
  });

  it('groups concurrent appends into a shared fsync', async () => {
    const spool = await openSpool();
    const before = spool.stats().syncs;
    await Promise.all(range(0, 200).map((i) => spool.append([rec(i * 2), rec(i * 2 + 1)])));
    const syncs = spool.stats().syncs - before;
    expect(spool.depth()).toBe(400);
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThan(20);
    // Each append's records stay together and in order.
    const ids = await drainIds(spool, 1000);
    expect([...ids].sort((a, b) => a - b)).toEqual(range(0, 400));
    for (let i = 0; i < ids.length; i += 2) expect(ids[i + 1]).toBe(ids[i] + 1);
  });

  it('writes an append of 100 records with one fsync', async () => {
    const spool = await openSpool();
    await spool.append([rec(0)]); // warm up
    const before = spool.stats().syncs;
    const started = process.hrtime.bigint();
    await spool.append(range(1, 101).map(rec));
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(spool.stats().syncs - before).toBe(1);
    expect(spool.depth()).toBe(101);
    // Generous: one fsync on a slow disk, not a hundred.
    expect(elapsedMs).toBeLessThan(1000);
  });

  describe('at its size cap', () => {
    const framed = 8 + JSON.stringify(rec(0)).length; // every test record below has this size

    it('reject: throws a non-retriable SpoolFullError until acknowledgements free room', async () => {
      const spool = await openSpool({ maxBytes: framed * 10, fullPolicy: 'reject' });
      await spool.append(Array.from({ length: 10 }, () => rec(0)));
      const error = await spool.append([rec(0)]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SpoolFullError);
      expect(isSpoolFullError(error)).toBe(true);
      expect((error as SpoolFullError).retriable).toBe(false);
      expect(spool.isFull()).toBe(true);
      expect(spool.depth()).toBe(10);

      const { cursor } = await spool.readBatch(3);
      await spool.ack(cursor);
      expect(spool.isFull()).toBe(false);
      await spool.append([rec(0), rec(0), rec(0)]);
      await expect(spool.append([rec(0)])).rejects.toThrow(SpoolFullError);
    });

    it('refuses a single batch larger than the cap under every policy', async () => {
      const spool = await openSpool({ maxBytes: framed * 2, fullPolicy: 'drop-oldest' });
      await expect(spool.append([rec(0), rec(0), rec(0)])).rejects.toThrow(SpoolFullError);
    });

    it('block: waits until an acknowledgement frees room, then stores the records', async () => {
      const spool = await openSpool({
        maxBytes: framed * 4,
        fullPolicy: 'block',
        blockTimeoutMs: 10_000,
      });
      await spool.append([rec(0), rec(0), rec(0), rec(0)]);
      let stored = false;
      const blocked = spool.append([rec(0), rec(0)]).then(() => (stored = true));
      await new Promise((r) => setTimeout(r, 150));
      expect(stored).toBe(false);

      const { cursor } = await spool.readBatch(1);
      await spool.ack(cursor);
      await new Promise((r) => setTimeout(r, 50));
      expect(stored).toBe(false); // one record freed, two needed

      await spool.ack((await spool.readBatch(1)).cursor);
      await blocked;
      expect(stored).toBe(true);
      expect(spool.depth()).toBe(4);
    });

    it('block: gives up with SpoolFullError after the timeout', async () => {
      const spool = await openSpool({
        maxBytes: framed * 2,
        fullPolicy: 'block',
        blockTimeoutMs: 100,
      });
      await spool.append([rec(0), rec(0)]);
      const started = Date.now();
      await expect(spool.append([rec(0)])).rejects.toThrow(SpoolFullError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(90);
      expect(spool.isFull()).toBe(true);
      expect(spool.depth()).toBe(2);
    });

    it('drop-oldest: deletes the oldest segments, counts the records lost and keeps the newest in order', async () => {
      const spool = await openSpool({
        maxBytes: 4096,
        segmentBytes: 1024,
        fullPolicy: 'drop-oldest',
      });
      for (let i = 0; i < 200; i++) await spool.append([rec(i)]);
      const { dropped } = spool.stats();
      expect(dropped).toBeGreaterThan(0);
      expect(spool.depth() + dropped).toBe(200);
      expect(spool.bytes()).toBeLessThanOrEqual(4096);
      expect(await drainIds(spool)).toEqual(range(dropped, 200));
    });
  });

  it.each([
    ['EIO', SpoolWriteError],
    ['ENOSPC', SpoolFullError],
  ])(
    'rejects the appends of a write that failed with %s and continues in a fresh segment',
    async (code, kind) => {
      let spool = await openSpool();
      await spool.append([rec(1)]);
      const writer = (spool as unknown as { writer: FileHandle }).writer;
      writer.datasync = () => Promise.reject(Object.assign(new Error(`${code}: failed`), { code }));
      const segmentsBefore = (await segmentFiles()).length;

      await expect(spool.append([rec(2), rec(3)])).rejects.toThrow(kind);
      expect(spool.depth()).toBe(1);
      expect(spool.isFull()).toBe(code === 'ENOSPC');
      expect((await segmentFiles()).length).toBe(segmentsBefore + 1);
      await spool.append([rec(4)]);
      await spool.close();

      spool = await openSpool();
      expect(await drainIds(spool)).toEqual([1, 4]);
    },
  );

  it('refuses a second open of the same directory until the first is closed', async () => {
    const spool = await openSpool();
    await expect(FileSpool.open({ directory: dir })).rejects.toThrow(SpoolLockedError);
    await spool.close();
    await spool.close(); // idempotent
    await expect(spool.append([rec(1)])).rejects.toThrow(/closed/);
    const again = await openSpool();
    expect(again.depth()).toBe(0);
  });

  it('finishes appends in progress when closed', async () => {
    const spool = await openSpool();
    const appends = range(0, 20).map((i) => spool.append([rec(i)]));
    await spool.close();
    await Promise.all(appends);
    const reopened = await openSpool();
    expect(reopened.depth()).toBe(20);
  });
});
