import type { DataSource } from 'typeorm';
import { HyperLogLog, PAGE_VISITORS_DAILY, registerUpdate, visitorUpdate } from '../../src/storage';

/** The stored bytes of one sketch holding `visitors`: what merged sketches must equal. */
export function sketchOf(visitors: readonly string[]): Buffer {
  const hll = new HyperLogLog();
  for (const visitor of visitors) hll.add(visitor);
  return hll.toBytes();
}

/**
 * The bytes the sketch code wrote before sketches were exact: HyperLogLog registers of the
 * visitors whatever their number, sparse (format 1: u16 BE index and a rank per set register,
 * ascending) up to 4,096 set registers, dense (format 2: a byte per register) beyond. Built here
 * byte by byte, so that reading and merging such stored rows is tested against the format
 * itself; the compatibility spec pins these bytes to those the earlier code produced.
 */
export function legacySketchOf(visitors: readonly string[]): Buffer {
  const registers = new Uint8Array(16_384);
  for (const visitor of visitors) {
    const update = registerUpdate(visitorUpdate(visitor));
    registers[update >>> 6] = Math.max(registers[update >>> 6], update & 63);
  }
  const set = registers.reduce((count, rank) => count + (rank > 0 ? 1 : 0), 0);
  if (set > 4_096) return Buffer.concat([Buffer.from([2, 14]), registers]);
  const out = Buffer.alloc(2 + 3 * set);
  out[0] = 1;
  out[1] = 14;
  let at = 2;
  registers.forEach((rank, index) => {
    if (rank === 0) return;
    out.writeUInt16BE(index, at);
    out[at + 2] = rank;
    at += 3;
  });
  return out;
}

/** The stored sketches of `day`, by page id. */
export async function storedSketches(
  dataSource: DataSource,
  day: string,
): Promise<Map<string, Buffer>> {
  const rows = (await dataSource.query(
    `SELECT page_id, hll FROM ${PAGE_VISITORS_DAILY} WHERE day = $1`,
    [day],
  )) as Array<{
    page_id: string;
    hll: Buffer;
  }>;
  return new Map(rows.map((r) => [r.page_id, r.hll]));
}
