import { PipelineError } from '@lib/contracts';

/** Base of the popular-products export's errors. */
export class PopularProductsError extends PipelineError {}

/** A run was asked for while one is running, in this process or (advisory lock) another instance. */
export class ExportInProgressError extends PopularProductsError {
  constructor(message: string) {
    super(message, true);
  }
}

/** The app is shutting down: the run stopped between two pages (a re-run resumes). */
export class ExportAbortedError extends PopularProductsError {
  constructor(message: string) {
    super(message, true);
  }
}

/**
 * A run stopped part-way (broker or database failure). What was published is recorded per store,
 * so a re-run resumes: it publishes the rest and republishes nothing already recorded.
 */
export class ExportFailedError extends PopularProductsError {
  constructor(
    message: string,
    /** Messages this run published before it failed. */
    readonly published: number,
    options?: { cause?: unknown },
  ) {
    super(message, true, options);
  }
}
