import type { RetryPolicy } from './retry-policy';

/**
 * The policy every handler gets unless it declares its own: three retries after 1 s, 10 s and
 * 60 s, then dead letters. Malformed and invalid payloads are never retried.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  delaysMs: [1_000, 10_000, 60_000],
  maxAttempts: 4,
  nonRetryable: ['MalformedPayloadError', 'EventValidationError'],
};
