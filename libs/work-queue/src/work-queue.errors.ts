import { PipelineError } from '@lib/contracts';
import { RedeliverError } from '@lib/queue';

/** Base of the work-queue lib's errors: whether trying again can help, and the cause. */
export class WorkQueueError extends PipelineError {}

/**
 * The events were NOT applied and will not be: the queue dropped them (shutdown gave up, the
 * partition was fenced or reassigned). It is the queue lib's {@link RedeliverError}, so the
 * transport neither acknowledges them nor sends them to retry tiers or dead letters: Kafka does
 * not commit past them and reads them again (this consumer or the partition's next owner, from
 * the offset stored in the database when there is one); RabbitMQ nacks them with requeue.
 * It is not a {@link WorkQueueError} (one base class only); {@link isWorkDiscarded} tells it apart.
 */
export class WorkDiscardedError extends RedeliverError {
  constructor(
    message: string,
    readonly reason: 'shutdown' | 'fenced' | 'reassigned',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Another consumer wrote this partition's offset since this one loaded or last wrote it (a
 * rebalance gave the partition away); nothing of this partition's batch was applied. Re-read
 * the partition from {@link storedOffset}, or leave it to its new owner.
 */
export class PartitionFencedError extends WorkDiscardedError {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly expectedOffset: string | null,
    readonly storedOffset: string | null,
  ) {
    super(
      `partition ${topic}[${partition}] is fenced: expected stored offset ${expectedOffset ?? '(none)'}, ` +
        `found ${storedOffset ?? '(none)'}`,
      'fenced',
    );
  }
}

/** add() after the queue has closed (its final flush has run). */
export class WorkQueueClosedError extends WorkDiscardedError {
  constructor(queue: string) {
    super(`work queue ${queue} is closed`, 'shutdown');
  }
}

/** The queue is used against its configuration (e.g. two offset-tracking queues on one stream). */
export class WorkQueueConfigError extends WorkQueueError {
  constructor(message: string) {
    super(message, false);
  }
}

/** A flush did not finish within its timeout; the connection was dropped and the batch kept. */
export class FlushTimeoutError extends WorkQueueError {
  constructor(queue: string, timeoutMs: number) {
    super(`flush of work queue ${queue} did not finish within ${timeoutMs} ms`, true);
  }
}

/** True when the events were dropped unapplied and must be left unacknowledged for redelivery. */
export function isWorkDiscarded(error: unknown): error is WorkDiscardedError {
  return error instanceof WorkDiscardedError;
}

/** True when the work-queue error says trying again may help. */
export function isRetriableWorkQueueError(error: unknown): boolean {
  return (
    (error instanceof WorkQueueError || error instanceof WorkDiscardedError) && error.retriable
  );
}
