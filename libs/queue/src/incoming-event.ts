import type { MessageHeaders } from '@lib/contracts';

/** Where an event was read from: the topic (or queue), partition (0 on RabbitMQ) and offset. */
export interface EventPosition {
  readonly topic: string;
  readonly partition: number;
  /** Kafka offset, RabbitMQ delivery tag or memory sequence, as a decimal string. */
  readonly offset: string;
}

/**
 * One event as a handler sees it, on every broker: plain data, every field its own, so a spread
 * copy (`{ ...event, payload }`) or `structuredClone(event)` keeps them all. Handlers receive
 * `IncomingEvent` (or an array of them in batch mode) as the data of an `@EventPattern(stream)`
 * method; the message metadata (key, headers, attempt, …) is read through the context,
 * {@link EventMetadataReader.metadataOf}.
 */
export interface IncomingEvent<T = unknown> {
  readonly stream: string;
  readonly eventId: string;
  /** The parsed JSON payload. */
  readonly payload: T;
  /** Where this delivery was read from (a retry topic for a retried event). */
  readonly position: EventPosition;
}

/** The message metadata of a consumed event, as {@link EventMetadataReader.metadataOf} gives it. */
export interface EventMetadata {
  /** The partition key; `null` when the message had none. */
  readonly key: string | null;
  readonly headers: Readonly<MessageHeaders>;
  /** Failed attempts before this delivery (0 on the first). */
  readonly attempt: number;
  /** The original position: for a retry, where the event was first read. */
  readonly source: EventPosition;
  /** Where this delivery was read from (the event's own `position`). */
  readonly position: EventPosition;
  /**
   * When the broker took the record, epoch ms: Kafka's record timestamp, RabbitMQ's `timestamp`
   * property (else the time of receipt), the memory broker's time of append.
   */
  readonly timestamp?: number;
}

/**
 * Gives the metadata of the events it delivered: the handler's `QueueContext` (`@Ctx()`), or a
 * `StreamLogBatch`. The metadata is looked up by the event's `position`: the event as delivered, a
 * spread copy (`{ ...event, payload }`) and a `structuredClone` all find it; an event that was not
 * delivered with this reader does not.
 */
export interface EventMetadataReader {
  /**
   * The metadata of `event`, decoded on the first call and the same object after.
   *
   * @throws Error when `event` was not delivered with this reader
   */
  metadataOf(event: IncomingEvent<unknown>): EventMetadata;
}
