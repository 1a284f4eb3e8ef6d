import { EventPublisher } from './event-publisher';
import type { OutgoingMessage } from './outgoing-message';

interface Waiting {
  readonly messages: readonly OutgoingMessage[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Coalesces concurrent publishes into one broker call: while a batch is being acknowledged, new
 * messages wait and then go out together. An idle publisher sends at once (no added latency);
 * a burst of single-event requests costs one broker round trip per batch, not per request.
 * Every caller's promise settles with the outcome of the batch that carried its messages.
 */
export class CoalescingPublisher extends EventPublisher {
  private waiting: Waiting[] = [];
  private inFlight = 0;

  /**
   * @param inner the broker's publisher
   * @param maxBatch most messages in one broker call
   * @param maxInFlight broker calls at once; more than 1 trades cross-batch order for throughput
   */
  constructor(
    private readonly inner: EventPublisher,
    private readonly maxBatch = 5_000,
    private readonly maxInFlight = 1,
  ) {
    super();
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ messages, resolve, reject });
      this.pump();
    });
  }

  isConnected(): boolean {
    return this.inner.isConnected();
  }

  async close(): Promise<void> {
    await this.inner.close();
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      const messages = batch.length === 1 ? batch[0].messages : batch.flatMap((w) => w.messages);
      this.inner.publish(messages).then(
        () => this.settle(batch, undefined),
        (error: unknown) => this.settle(batch, error ?? new Error('publish failed')),
      );
    }
  }

  /** Whole requests only, so one request's events are never split across broker calls. */
  private takeBatch(): Waiting[] {
    let count = 0;
    let take = 0;
    while (
      take < this.waiting.length &&
      (take === 0 || count + this.waiting[take].messages.length <= this.maxBatch)
    ) {
      count += this.waiting[take].messages.length;
      take++;
    }
    return this.waiting.splice(0, take);
  }

  private settle(batch: Waiting[], error: unknown): void {
    this.inFlight--;
    for (const waiter of batch) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
    this.pump();
  }
}
