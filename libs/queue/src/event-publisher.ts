import type { OutgoingMessage } from './outgoing-message';

/**
 * Publishes events to the configured broker. `publish` resolves only after the broker has
 * acknowledged every message (Kafka `acks=-1`, RabbitMQ publisher confirms) and rejects with a
 * {@link PublishError} otherwise. Inject this class; the QueueModule binds the broker's own.
 */
export abstract class EventPublisher {
  /** Publishes a batch in order per key; resolves after the broker acknowledged all of it. */
  abstract publish(messages: readonly OutgoingMessage[]): Promise<void>;
  /** True while connected and able to publish. */
  abstract isConnected(): boolean;
  /** Flushes what is pending and disconnects; idempotent. */
  abstract close(): Promise<void>;
}
