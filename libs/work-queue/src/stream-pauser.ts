import type { Logger } from '@nestjs/common';
import type { ConsumerControl } from '@lib/queue';

/**
 * Pauses and resumes consumed streams on behalf of work queues. A stream may feed several
 * queues: it is paused while at least one of them is over its high watermark and resumed only
 * when none is. No ConsumerControl (undefined) means there is no consumer to pause.
 */
export class StreamPauser {
  private readonly holders = new Map<string, Set<object>>();

  constructor(
    private readonly control: () => ConsumerControl | undefined,
    private readonly logger?: Logger,
  ) {}

  /** `holder` (a queue) needs `stream` paused. */
  pause(holder: object, stream: string): void {
    let set = this.holders.get(stream);
    if (set === undefined) this.holders.set(stream, (set = new Set()));
    const first = set.size === 0;
    set.add(holder);
    if (first) this.call('pause', stream);
  }

  /** `holder` no longer needs `stream` paused; resumes it when no other holder does. */
  resume(holder: object, stream: string): void {
    const set = this.holders.get(stream);
    if (set === undefined || !set.delete(holder)) return;
    if (set.size === 0) this.call('resume', stream);
  }

  /**
   * Repeats the pause of streams `holder` holds: a transport may have resumed after a rebalance
   * or reconnect while the queue is still over its watermark. Pausing twice is harmless.
   */
  reassert(holder: object, stream: string): void {
    if (this.holders.get(stream)?.has(holder)) this.call('pause', stream);
  }

  private call(action: 'pause' | 'resume', stream: string): void {
    try {
      this.control()?.[action](stream, 'backpressure');
    } catch (error) {
      this.logger?.warn(`could not ${action} ${stream}: ${String(error)}`);
    }
  }
}
