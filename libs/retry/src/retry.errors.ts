import { PipelineError } from '@lib/contracts';

/** Base of errors that carry whether trying again can help, and what caused them. */
export class RetryableAwareError extends PipelineError {}

/** The payload could not be parsed (not JSON, wrong shape): retrying cannot help. */
export class MalformedPayloadError extends RetryableAwareError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** The payload parsed but broke a rule of the event's schema: retrying cannot help. */
export class EventValidationError extends RetryableAwareError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, false, options);
  }
}

/** True unless the error says it is not retriable. Unknown errors are retried. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof PipelineError) return error.retriable;
  const flag = (error as { retriable?: unknown } | null)?.retriable;
  return flag !== false;
}

/** The class name of an error, as recorded in `x-error-class`. */
export function errorClassOf(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? error.name : error.constructor.name;
  return typeof error;
}
