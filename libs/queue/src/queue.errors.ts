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

/** True when the queue error says trying again may help. */
export function isRetriableQueueError(error: unknown): boolean {
  return error instanceof QueueError && error.retriable;
}
