import { EventPublisher } from './event-publisher';
import type { OutgoingMessage } from './outgoing-message';

/** Where a {@link TimedPublisher} reports each publish. */
export interface PublishTimings {
  published(stream: string, seconds: number, outcome: 'ok' | 'failed'): void;
}

/**
 * Times each publish to the broker, from the call to the broker's acknowledgement (Kafka
 * `acks=-1`, RabbitMQ confirms), once per stream in the batch.
 */
export class TimedPublisher extends EventPublisher {
  constructor(
    private readonly inner: EventPublisher,
    private readonly timings: PublishTimings,
  ) {
    super();
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    const started = performance.now();
    let outcome: 'ok' | 'failed' = 'failed';
    try {
      await this.inner.publish(messages);
      outcome = 'ok';
    } finally {
      const seconds = (performance.now() - started) / 1000;
      for (const stream of streamsOf(messages)) this.timings.published(stream, seconds, outcome);
    }
  }

  isConnected(): boolean {
    return this.inner.isConnected();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function streamsOf(messages: readonly OutgoingMessage[]): Iterable<string> {
  // Batches are almost always of one stream: skip the Set then.
  const first = messages[0]?.stream;
  if (first === undefined) return [];
  return messages.every((m) => m.stream === first)
    ? [first]
    : new Set(messages.map((m) => m.stream));
}
