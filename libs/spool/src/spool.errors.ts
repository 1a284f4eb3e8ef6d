import { PipelineError } from '@lib/contracts';

/** Base of the spool lib's errors: whether trying again can help, and the cause. */
export class SpoolError extends PipelineError {}

/**
 * The spool has no room for the records (its size cap under the `reject` policy, a `block`
 * policy that timed out, or a full disk). Not retriable: ingest answers 503.
 */
export class SpoolFullError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** The spool (or the publisher on top of it) is closed or closing. */
export class SpoolClosedError extends SpoolError {
  constructor(message = 'the spool is closed') {
    super(message, false);
  }
}

/** Another live process holds the spool directory. */
export class SpoolLockedError extends SpoolError {
  constructor(message: string) {
    super(message, false);
  }
}

/** Writing or syncing a segment failed; the records of that append were not stored. */
export class SpoolWriteError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}

/** True when the error says the spool is full, so the caller should answer "unavailable". */
export function isSpoolFullError(error: unknown): error is SpoolFullError {
  return error instanceof SpoolFullError;
}

/** True when a spool error says trying again may help. */
export function isRetriableSpoolError(error: unknown): boolean {
  return error instanceof SpoolError && error.retriable;
}
