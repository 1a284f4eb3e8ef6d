import type { IncomingEvent } from '@lib/queue';

/** How events become what the writer receives: merged by key (aggregate) or one row each (append). */
export interface BatchShape<TEvent, TOut> {
  /**
   * Present for aggregates; append queues give every event its own slot. Called after `valueOf`
   * with its result, so a key made of the value's parts (a day bucket) is computed once.
   */
  readonly keyOf?: (event: IncomingEvent<TEvent>, value: TOut) => string;
  readonly valueOf: (event: IncomingEvent<TEvent>) => TOut;
  /** Present for aggregates. */
  readonly merge?: (older: TOut, newer: TOut) => TOut;
}
