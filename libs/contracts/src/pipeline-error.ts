/**
 * The shared base of every lib's error hierarchy: the message, whether trying again can help
 * (`retriable`), and the `cause`. Each lib derives its own root class from it (QueueError,
 * SpoolError, WorkQueueError, …) so `isRetriable` reads all of them the same way.
 */
export class PipelineError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
