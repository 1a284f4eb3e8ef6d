import { Injectable } from '@nestjs/common';
import { OffsetStore, type StoredOffset } from '@lib/queue';
import { DataSource } from 'typeorm';
import { OffsetLedger } from './offset-ledger';

/**
 * The OffsetStore over `consumer_offsets`, written by the work queues in their flush
 * transactions. Each load also tells the {@link OffsetLedger} what this consumer now expects to
 * find there, which is what fences a flush once another consumer has moved the partition on.
 */
@Injectable()
export class PgOffsetStore extends OffsetStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly ledger: OffsetLedger,
  ) {
    super();
  }

  async load(group: string, topic: string): Promise<StoredOffset[]> {
    const rows: Array<{ partition: number; next_offset: string }> = await this.dataSource.query(
      `SELECT partition, next_offset::text AS next_offset
         FROM consumer_offsets WHERE group_id = $1 AND topic = $2 ORDER BY partition`,
      [group, topic],
    );
    const stored = rows.map((row) => ({ partition: row.partition, nextOffset: row.next_offset }));
    this.ledger.reset(group, topic, stored);
    return stored;
  }

  async save(group: string, topic: string, offsets: readonly StoredOffset[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
       SELECT $1, $2, p.partition, p.next_offset FROM unnest($3::int[], $4::bigint[]) AS p(partition, next_offset)
       ON CONFLICT (group_id, topic, partition)
       DO UPDATE SET next_offset = excluded.next_offset, updated_at = now()`,
      [group, topic, offsets.map((o) => o.partition), offsets.map((o) => o.nextOffset)],
    );
    await this.load(group, topic);
  }
}
