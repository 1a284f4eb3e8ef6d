import type { MessageHeaders } from '@lib/contracts';

/** An event to publish. `value` is serialised as JSON. */
export interface OutgoingMessage {
  readonly stream: string;
  /** Partition key (Kafka) or routing key (RabbitMQ). */
  readonly key: string;
  readonly value: unknown;
  /** At least `x-event-id` and `x-event-type`; the publisher fills them from `value` if absent. */
  readonly headers?: MessageHeaders;
}
