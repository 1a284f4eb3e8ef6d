/**
 * Lets the same line through at most once per interval and says how many repeats it held back,
 * so a broker outage (every reconnect attempt of every client logging the same refused
 * connection) gives a few lines a minute instead of several a second.
 */
export class RepeatThrottle {
  private readonly seen = new Map<string, { at: number; held: number }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100,
  ) {}

  /**
   * The line to log now (with the count of repeats held back since the last one), or undefined to
   * hold it back; lines with the same `key` (default: the text) count as repeats.
   */
  pass(text: string, key = text): string | undefined {
    const now = this.now();
    const last = this.seen.get(key);
    if (last && now - last.at < this.intervalMs) {
      last.held++;
      return undefined;
    }
    if (!last && this.seen.size >= this.maxKeys) this.seen.clear();
    this.seen.set(key, { at: now, held: 0 });
    return last?.held ? `${text} (repeated ${last.held} times since)` : text;
  }
}
