/** How a failing flush waits before trying again. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

/** 50 ms, doubling, capped at 2 s: quick to notice a database that is back, cheap while it is not. */
export const DEFAULT_FLUSH_BACKOFF: BackoffPolicy = { initialMs: 50, factor: 2, maxMs: 2_000 };

/** The wait before retry number `attempt` (1 = the first retry). */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy = DEFAULT_FLUSH_BACKOFF,
): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor ** exponent));
}
