/** A partition's next offset to read, as stored beside the data it produced. */
export interface StoredOffset {
  readonly partition: number;
  /** The next offset to read (last applied + 1), as a decimal string. */
  readonly nextOffset: string;
}

/**
 * Offsets kept in the database in the same transaction as the aggregates. When one is registered
 * with the OffsetStoreRegistry, the Kafka transport seeks each assigned partition of the stream's
 * main topic to the stored offset, so a crash or rebalance neither loses nor double-counts.
 */
export abstract class OffsetStore {
  /** Stored offsets of `group` on `topic`; partitions without one start from Kafka's committed offset. */
  abstract load(group: string, topic: string): Promise<StoredOffset[]>;

  /**
   * Replaces the stored offsets of these partitions (an operator's reset): the consumer reads from
   * them next, and a flush still expecting the old values is fenced.
   */
  abstract save(group: string, topic: string, offsets: readonly StoredOffset[]): Promise<void>;
}
