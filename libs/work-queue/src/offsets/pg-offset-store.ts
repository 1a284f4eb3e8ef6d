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
}
