import { QueueError } from './queue.errors';

/** Where an operator moves a stream's offsets: the log's start, its end, or the first record at or after a time. */
export type OffsetResetTarget =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'timestamp'; readonly at: number };

/** One partition of the stream's main topic in an offset reset. */
export interface PartitionOffsetMove {
  readonly partition: number;
  /** The next offset the group reads now: database-stored, else Kafka-committed, else the log's start. */
  readonly current: string;
  /** The next offset the group reads after the reset. */
  readonly target: string;
  /** The log's first offset still kept, and the offset after its last record. */
  readonly earliest: string;
  readonly latest: string;
  /** target − current: negative reads that many records again, positive skips that many. */
  readonly records: number;
}

/** What an offset reset moves (a dry run) or moved. */
export interface OffsetResetPlan {
  readonly stream: string;
  readonly topic: string;
  readonly group: string;
  /** `earliest`, `latest`, or the ISO time asked for. */
  readonly to: string;
  readonly offsetsStoredIn: 'database' | 'broker';
  readonly dryRun: boolean;
  readonly partitions: readonly PartitionOffsetMove[];
}

/**
 * The reset cannot be done as asked: the broker has no offsets (RabbitMQ), or other instances of
 * the group hold partitions of the stream and would go on from their own positions. A 409.
 */
export class OffsetResetRefusedError extends QueueError {
  constructor(message: string) {
    super(message, false);
  }
}

/** `earliest`, `latest` or the target's time as ISO 8601, as plans and audit lines name it. */
export function describeTarget(to: OffsetResetTarget): string {
  return to.kind === 'timestamp' ? new Date(to.at).toISOString() : to.kind;
}

/** Builds one partition's move from the offsets the broker and the store report. */
export function partitionMove(
  partition: number,
  current: string,
  target: string,
  earliest: string,
  latest: string,
): PartitionOffsetMove {
  const records = Number(BigInt(target) - BigInt(current));
  return { partition, current, target, earliest, latest, records };
}
