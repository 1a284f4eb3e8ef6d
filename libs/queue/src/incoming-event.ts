import type { MessageHeaders } from '@lib/contracts';

/** Where an event was read from: the topic (or queue), partition (0 on RabbitMQ) and offset. */
export interface EventPosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset, RabbitMQ delivery tag or memory sequence, as a decimal string. */
  readonly offset: string;
}

/**
 * One event as a handler sees it, on every broker. Handlers receive `IncomingEvent` (or an array
 * of them in batch mode) as the data of an `@EventPattern(stream)` method.
 *
 * The transports hand over events whose `key`, `headers`, `attempt`, `source` and `position` are
 * accessors, read from the message on first use: a spread copy (`{ ...event }`) lacks them. Derive
 * an event with `withPayload(event, payload)`, or copy every field with `eventFields(event)`.
 */
export interface IncomingEvent<T = unknown> {
  readonly stream: string;
  /** The partition key; `null` when the message had none. */
  readonly key: string | null;
  readonly eventId: string;
  /** The parsed JSON payload. */
  readonly payload: T;
  readonly headers: Readonly<MessageHeaders>;
  /** Failed attempts before this delivery (0 on the first). */
  readonly attempt: number;
  /** The original position: for a retry, where the event was first read. */
  readonly source: EventPosition;
  /** Where this delivery was read from (a retry topic for a retried event). */
  readonly position: EventPosition;
  /**
   * When the broker took the record, epoch ms: Kafka's record timestamp, RabbitMQ's `timestamp`
   * property (else the time of receipt), the memory broker's time of append. Absent on events
   * made by hand.
   */
  readonly timestamp?: number;
}
