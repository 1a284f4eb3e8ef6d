import type { MessageHeaders } from '@lib/contracts';
import { BrokerConnectionError } from '../queue.errors';
import type { RawMessage } from '../runtime/envelope';
import { MemoryPartition } from './memory-partition';

/** Options of {@link MemoryBroker}. */
export interface MemoryBrokerOptions {
  /** Partitions of every topic (default 3, like the test Kafka broker). */
  readonly partitions?: number;
  /** Records kept per partition at most; older ones are dropped even if unconsumed (default 50 000). */
  readonly maxRecordsPerPartition?: number;
}

/**
 * The in-process broker of `BROKER=memory`: Kafka-like topics with partitions and offsets,
 * consumer groups with committed offsets, nothing durable. One instance is shared by all apps of
 * a process (`npm start` passes the launcher's to every app), so ingest's publishes reach the
 * consumers; an app started alone gets its own. Records consumed by every group that committed on a
 * partition are trimmed.
 */
export class MemoryBroker {
  private readonly topics = new Map<string, MemoryPartition[]>();
  /** group → "topic\0partition" → next offset. */
  private readonly offsets = new Map<string, Map<string, number>>();
  /** "group\0topic" → the consumer that owns it. */
  private readonly owners = new Map<string, object>();
  private readonly partitionCount: number;
  private readonly maxRecords: number;
  private roundRobin = 0;
  private closed = false;

  constructor(options: MemoryBrokerOptions = {}) {
    this.partitionCount = options.partitions ?? 3;
    this.maxRecords = options.maxRecordsPerPartition ?? 50_000;
  }

  /** The partitions of `topic`, creating the topic on first use. */
  partitions(topic: string): readonly MemoryPartition[] {
    let partitions = this.topics.get(topic);
    if (!partitions) {
      partitions = Array.from(
        { length: this.partitionCount },
        (_, i) => new MemoryPartition(topic, i, this.maxRecords),
      );
      this.topics.set(topic, partitions);
    }
    return partitions;
  }

  /** Appends to the key's partition (round robin without a key) and returns the stored record; throws once closed. */
  append(
    topic: string,
    key: string | null,
    value: Buffer | null,
    headers: MessageHeaders,
  ): RawMessage {
    if (this.closed) throw new BrokerConnectionError('the memory broker is closed');
    const partitions = this.partitions(topic);
    const index =
      key === null ? this.roundRobin++ % partitions.length : hashKey(key) % partitions.length;
    return partitions[index].append(key, value, headers);
  }

  /** The committed next offset of a group on a partition, if it committed one. */
  committed(group: string, topic: string, partition: number): number | undefined {
    return this.offsets.get(group)?.get(`${topic}\u0000${partition}`);
  }

  /** Stores a group's next offset and trims what every group consumed. */
  commit(group: string, topic: string, partition: number, offset: number): void {
    let groupOffsets = this.offsets.get(group);
    if (!groupOffsets) this.offsets.set(group, (groupOffsets = new Map()));
    const id = `${topic}\u0000${partition}`;
    groupOffsets.set(id, offset);
    let lowest = offset;
    for (const other of this.offsets.values()) {
      const committed = other.get(id);
      if (committed !== undefined && committed < lowest) lowest = committed;
    }
    this.partitions(topic)[partition]?.trim(lowest);
  }

  /**
   * Makes `member` the only consumer of `topics` in `group` (one process holds one consumer per
   * group); throws when another live consumer holds one of them.
   */
  claim(group: string, topics: readonly string[], member: object): void {
    for (const topic of topics) {
      const owner = this.owners.get(`${group}\u0000${topic}`);
      if (owner && owner !== member)
        throw new Error(
          `memory broker: ${topic} is already consumed by another consumer of group ${group}`,
        );
    }
    for (const topic of topics) this.owners.set(`${group}\u0000${topic}`, member);
  }

  /** True once {@link close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses every later append (the process is stopping); consumers see no new records. */
  close(): void {
    this.closed = true;
  }

  /** Releases everything `member` claimed. */
  release(member: object): void {
    for (const [id, owner] of this.owners) if (owner === member) this.owners.delete(id);
  }
}

/** FNV-1a over the key's UTF-16 code units: a stable partition for a key. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
