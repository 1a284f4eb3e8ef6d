import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FileSpool } from './file-spool';

const CHILD = join(__dirname, '..', 'test', 'append-loop.child.js');
const WRITERS = 4;
const SEGMENT_BYTES = 64 * 1024;

interface ChildRecord {
  id: string;
  round: number;
  writer: number;
  n: number;
  check: string;
}

/** Acknowledged ranges printed by the child: writer → highest n whose append resolved. */
type Acked = Map<number, number>;

/**
 * Runs the appending child until it has acknowledged `minAcks` appends (plus a random moment
 * more), then SIGKILLs it mid-write. Returns what it acknowledged.
 */
function runAndKill(dir: string, round: number, minAcks: number): Promise<Acked> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [CHILD, dir, String(round), String(WRITERS), String(SEGMENT_BYTES)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const acked: Acked = new Map();
    let acks = 0;
    let killing = false;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [kind, writer, , to] = line.split(' ');
      if (kind !== 'ack') return;
      acked.set(Number(writer), Number(to));
      if (++acks === minAcks && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 30));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') {
        // Lines already in the pipe count: those appends had resolved before the kill.
        setImmediate(() => resolve(acked));
      } else {
        reject(new Error(`child exited with ${code} before it was killed: ${stderr}`));
      }
    });
  });
}

/** Every record in the spool, in order, without acknowledging any. */
async function readAll(dir: string): Promise<ChildRecord[]> {
  const spool = await FileSpool.open<ChildRecord>({ directory: dir, segmentBytes: SEGMENT_BYTES });
  try {
    const { records } = await spool.readBatch(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    expect(records).toHaveLength(spool.depth());
    return records;
  } finally {
    await spool.close();
  }
}

describe('FileSpool after SIGKILL', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'file-spool-crash-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every append that resolved before the kill, uncorrupted and in order, across rounds', async () => {
    const ackedByRound: Acked[] = [];
    for (let round = 0; round < 3; round++) {
      ackedByRound.push(await runAndKill(dir, round, 150 + round * 50));

      const records = await readAll(dir);
      const seen = new Set<string>();
      const lastN = new Map<string, number>();
      let lastRound = 0;
      for (const record of records) {
        // Whole and unmixed: the checksum passed, and the content is the one that was written.
        expect(record.check).toBe(record.id.repeat(1 + (record.n % 5)));
        expect(record.id).toBe(`${record.round}:${record.writer}:${record.n}`);
        expect(seen.has(record.id)).toBe(false);
        seen.add(record.id);
        // Rounds follow each other; each writer's records are contiguous from 0, in order.
        expect(record.round).toBeGreaterThanOrEqual(lastRound);
        lastRound = record.round;
        const key = `${record.round}:${record.writer}`;
        expect(record.n).toBe((lastN.get(key) ?? -1) + 1);
        lastN.set(key, record.n);
      }
      ackedByRound.forEach((acked, r) => {
        expect(acked.size).toBe(WRITERS);
        for (const [writer, to] of acked) {
          // Everything acknowledged is there (possibly more: written, but killed before the ack).
          expect(lastN.get(`${r}:${writer}`) ?? -1).toBeGreaterThanOrEqual(to);
        }
      });
    }
  }, 60_000);
});
