import { DEFAULT_RETRY_POLICY } from './retry.defaults';
import { errorClassOf, isRetriable } from './retry.errors';

/** How a handler's failures are retried. */
export interface RetryPolicy {
  /** Delay before each retry, in order; the last repeats if `maxAttempts` asks for more. */
  readonly delaysMs: readonly number[];
  /** Attempts in all, the first included; after this many failures the event is dead-lettered. */
  readonly maxAttempts: number;
  /** Error class names that go to dead letters at once. */
  readonly nonRetryable: readonly string[];
}

/** What to do with an event whose handler just failed. */
export type RetryDecision =
  | { readonly action: 'retry'; readonly delayMs: number; readonly attempt: number }
  | {
      readonly action: 'dead-letter';
      readonly attempt: number;
      readonly reason: 'exhausted' | 'non-retryable';
    };

/** Completes a partial policy with the defaults and checks it. */
export function resolveRetryPolicy(partial?: Partial<RetryPolicy>): RetryPolicy {
  const policy: RetryPolicy = {
    delaysMs: partial?.delaysMs ?? DEFAULT_RETRY_POLICY.delaysMs,
    maxAttempts:
      partial?.maxAttempts ??
      (partial?.delaysMs ? partial.delaysMs.length + 1 : DEFAULT_RETRY_POLICY.maxAttempts),
    nonRetryable: [
      ...new Set([...DEFAULT_RETRY_POLICY.nonRetryable, ...(partial?.nonRetryable ?? [])]),
    ],
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new Error(`retry policy: maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  if (policy.maxAttempts > 1 && policy.delaysMs.length === 0) {
    throw new Error('retry policy: delaysMs must not be empty when maxAttempts > 1');
  }
  if (policy.delaysMs.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(
      `retry policy: delaysMs must be whole milliseconds >= 0, got ${policy.delaysMs.join(', ')}`,
    );
  }
  return policy;
}

/**
 * Decides, purely, what happens after a failure. `failedAttempts` counts the failures so far,
 * this one included (so the first failure is 1).
 */
export function decideRetry(
  policy: RetryPolicy,
  failedAttempts: number,
  error: unknown,
): RetryDecision {
  if (!isRetriable(error) || policy.nonRetryable.includes(errorClassOf(error))) {
    return { action: 'dead-letter', attempt: failedAttempts, reason: 'non-retryable' };
  }
  if (failedAttempts >= policy.maxAttempts) {
    return { action: 'dead-letter', attempt: failedAttempts, reason: 'exhausted' };
  }
  const index = Math.min(failedAttempts - 1, policy.delaysMs.length - 1);
  return { action: 'retry', delayMs: policy.delaysMs[index], attempt: failedAttempts };
}

/** The distinct retry delays of a policy: one retry topic or queue each. */
export function retryTiers(policy: RetryPolicy): number[] {
  if (policy.maxAttempts <= 1) return [];
  const used = policy.delaysMs.slice(0, policy.maxAttempts - 1);
  return [...new Set(used)];
}
