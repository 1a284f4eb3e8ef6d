import type { ServerResponse } from 'node:http';
import type { Quote } from './quote-book';

/**
 * One Server-Sent Events client. It holds no queue of events: only the latest changed quote per
 * symbol since its last push (the dirty set), so a slow client skips intermediate quotes instead
 * of building a backlog, and its memory is bounded by the number of symbols it follows.
 */
export class SseSubscriber {
  private readonly dirty = new Map<string, Quote>();
  private lastWriteAt = Date.now();
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    /** Undefined: every symbol. */
    private readonly symbols: ReadonlySet<string> | undefined,
  ) {}

  /** Quotes changed and not yet pushed. */
  get pending(): number {
    return this.dirty.size;
  }

  /** Bytes written and not yet taken by the socket (bounded: nothing is written while it needs a drain). */
  get buffered(): number {
    return this.res.writableLength;
  }

  /** Whether the socket is still draining an earlier write (a slow or stalled reader). */
  get blocked(): boolean {
    return this.res.writableNeedDrain;
  }

  /** Notes changed quotes of the symbols it follows; an unpushed older quote of a symbol is replaced. */
  mark(quotes: readonly Quote[]): void {
    if (this.ended) return;
    for (const quote of quotes)
      if (this.symbols === undefined || this.symbols.has(quote.symbol))
        this.dirty.set(quote.symbol, quote);
  }

  /**
   * Writes one event with every pending quote, unless there are none or the socket has not
   * drained its last write (then the quotes stay pending and newer ones replace them). Returns
   * 'sent', 'idle' or 'blocked'.
   */
  push(): 'sent' | 'idle' | 'blocked' {
    if (this.ended || this.dirty.size === 0) return 'idle';
    if (this.res.writableNeedDrain) return 'blocked';
    const data = JSON.stringify([...this.dirty.values()]);
    this.dirty.clear();
    this.write(`data: ${data}\n\n`);
    return 'sent';
  }

  /** A comment line when nothing was written for `idleMs`, so proxies keep the connection open. */
  keepAlive(now: number, idleMs: number): void {
    if (this.ended || now - this.lastWriteAt < idleMs || this.res.writableNeedDrain) return;
    this.write(': keep-alive\n\n');
  }

  /** Ends the response (shutdown); idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.dirty.clear();
    this.res.end();
  }

  /** The client went away: drop what is pending. */
  closed(): void {
    this.ended = true;
    this.dirty.clear();
  }

  private write(chunk: string): void {
    this.lastWriteAt = Date.now();
    // The return value is not needed: writableNeedDrain says the same until 'drain'.
    this.res.write(chunk);
  }
}
