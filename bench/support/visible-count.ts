/** How fast a count read from the database reaches a total: the benchmarks' throughput measurement. */

/** Throughput from the first change of a polled count to the moment it reaches the total. */
export interface VisibleRate {
  /** Per second, over what became visible after the first poll that saw any. */
  readonly rate: number;
  /** What was counted after the first poll that saw any. */
  readonly counted: number;
  readonly ms: number;
  /** The count the last poll read (`total` or more). */
  readonly reached: number;
}

/**
 * Polls `read` every `pollMs` until it reaches `total` and returns the rate from the first poll
 * that saw anything to the last: start-up and consumer joins are excluded. Fails after `withinMs`.
 */
export async function waitForCount(
  read: () => Promise<number>,
  total: number,
  label: string,
  { pollMs = 50, withinMs = 600_000 } = {},
): Promise<VisibleRate> {
  let first = 0;
  let atFirst = 0;
  const deadline = Date.now() + withinMs;
  for (;;) {
    const n = await read();
    const now = performance.now();
    if (n > 0 && first === 0) {
      first = now;
      atFirst = n;
    }
    if (n >= total) {
      const counted = n - atFirst;
      return { rate: (counted / (now - first)) * 1000, counted, ms: now - first, reached: n };
    }
    if (Date.now() > deadline)
      throw new Error(`${label}: only ${n} of ${total} after ${withinMs / 1000} s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * Polls `read` until it has stopped changing for `quietMs` at `total` or more (or for `giveUpMs`
 * below it, where it lost some) and returns it: the count a consumer ends with after a restart.
 */
export async function settledCount(
  read: () => Promise<number>,
  total: number,
  { quietMs = 3_000, giveUpMs = 20_000, withinMs = 300_000 } = {},
): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = -1;
  let since = Date.now();
  for (;;) {
    const n = await read();
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    const quiet = Date.now() - since;
    if ((n >= total && quiet >= quietMs) || quiet >= giveUpMs || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}
