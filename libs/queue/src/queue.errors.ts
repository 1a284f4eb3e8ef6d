import { PipelineError } from '@lib/contracts';

/** Base of the queue lib's errors: whether trying again can help, and the cause. */
export class QueueError extends PipelineError {}

/** The broker did not acknowledge a publish (down, timed out, or refused). */
export class PublishError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** The broker could not be reached or the topology could not be declared. */
export class BrokerConnectionError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/**
 * Thrown by a handler (or the work it returned) that did not apply its events and wants them
 * delivered again as if they had never been read: not a failed attempt, so no `x-attempt`
 * increment, no retry tier and no dead letter. Kafka and the memory broker do not commit past the
 * record and read the partition again from it (this consumer, or the partition's next owner);
 * RabbitMQ nacks the delivery with requeue. Meant for work that was dropped unapplied (a fenced
 * partition, a queue closed at shutdown), not for "try later": a handler that keeps throwing it
 * gets the record again at once, with no delay.
 */
export class RedeliverError extends QueueError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** True when the error asks for the event to be delivered again rather than retried. */
export function isRedeliver(error: unknown): error is RedeliverError {
  return error instanceof RedeliverError;
}

/** True when the queue error says trying again may help. */
export function isRetriableQueueError(error: unknown): boolean {
  return error instanceof QueueError && error.retriable;
}
