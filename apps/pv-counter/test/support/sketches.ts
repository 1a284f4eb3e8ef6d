import type { DataSource } from 'typeorm';
import { HyperLogLog, PAGE_VISITORS_DAILY } from '../../src/storage';

/** The stored bytes of one HyperLogLog holding `visitors`: what merged sketches must equal. */
export function sketchOf(visitors: readonly string[]): Buffer {
  const hll = new HyperLogLog();
  for (const visitor of visitors) hll.add(visitor);
  return hll.toBytes();
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
