/**
 * Acknowledges the finished deliveries of one channel in as few frames as possible. Finishes of
 * one turn of the event loop are collected and acked together: the contiguous finished prefix
 * with a single `multiple` ack, deliveries that finished ahead of an unfinished one (another key
 * under keyed concurrency) one by one, so they free their prefetch slot at once.
 *
 * A `multiple` ack names the highest tag it covers, and RabbitMQ closes the channel when that tag
 * is not outstanding; so the tag named is always one of the pending (never acked) deliveries.
 */
export class RmqAcker {
  private pending: number[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    /** Sends `basic.ack` (amqplib's channel.ack). */
    private readonly ack: (deliveryTag: number, multiple: boolean) => void,
    /** The highest tag at or below which every delivery finished or was requeued (0 when none). */
    private readonly finishedPrefix: () => number,
    /** Sends `basic.nack` with requeue for one delivery (amqplib's channel.nack). */
    private readonly nack: (deliveryTag: number) => void = () => undefined,
  ) {}

  /**
   * Hands a delivery back to the queue at once (a redelivery): RabbitMQ delivers it again with
   * the redelivered flag. It is never acked afterwards; a later `multiple` ack does not cover it,
   * since it is no longer outstanding once the nack went out (frames of a channel keep their order).
   */
  requeue(deliveryTag: number): void {
    if (this.closed) return; // the channel closed: RabbitMQ has already put it back
    this.nack(deliveryTag);
  }

  /** Deliveries finished and not yet acked. */
  get size(): number {
    return this.pending.length;
  }

  /** Notes a finished delivery; it is acked at the end of this turn (or by {@link flush}). */
  finished(deliveryTag: number): void {
    if (this.closed) return;
    this.pending.push(deliveryTag);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Acks every pending delivery now. */
  flush(): void {
    this.scheduled = false;
    if (this.closed || this.pending.length === 0) return;
    const bound = this.finishedPrefix();
    let highestCovered = 0;
    const ahead: number[] = [];
    for (const tag of this.pending) {
      if (tag <= bound) highestCovered = Math.max(highestCovered, tag);
      else ahead.push(tag);
    }
    this.pending = [];
    if (highestCovered > 0) this.ack(highestCovered, true);
    for (const tag of ahead) this.ack(tag, false);
  }

  /** The channel is gone: its unacked deliveries return to the queue, so pending acks are dropped. */
  close(): void {
    this.closed = true;
    this.pending = [];
  }
}
