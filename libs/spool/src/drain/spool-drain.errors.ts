import { SpoolError } from '../spool.errors';

/** The broker did not take every spooled event before SPOOL_DRAIN_TIMEOUT_MS. */
export class SpoolDrainTimeoutError extends SpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, true, options);
  }
}
