import { HEADERS, type MessageHeaders } from '@lib/contracts';
import { MalformedPayloadError } from '@lib/retry';
import { inspect } from 'node:util';
import type { EventPosition, IncomingEvent } from '../incoming-event';
import type { OutgoingMessage } from '../outgoing-message';

/**
 * A consumed message before parsing, as every transport hands it to the shared runtime: the raw
 * bytes are kept so that retries and dead letters carry the original payload unchanged.
 */
export interface RawMessage {
  /** The message body; `null` for a Kafka tombstone. */
  readonly value: Buffer | null;
  readonly key: string | null;
  readonly headers: MessageHeaders;
  /** Where this delivery was read from. */
  readonly position: EventPosition;
  /** When the broker took the record, epoch ms (see {@link IncomingEvent.timestamp}). */
  readonly timestamp?: number;
}

/** An {@link OutgoingMessage} ready for the wire: JSON bytes and complete headers. */
export interface EncodedMessage {
  readonly stream: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: MessageHeaders;
}

/** Header values as broker clients deliver them (kafkajs: Buffer, string or arrays of them). */
export type RawHeaderValue = Buffer | string | number | ReadonlyArray<Buffer | string> | undefined | null;

/** Converts broker header values to strings; arrays keep their first value. */
export function decodeHeaders(raw: Readonly<Record<string, RawHeaderValue>> | undefined): MessageHeaders {
  const headers: MessageHeaders = {};
  if (!raw) return headers;
  for (const name in raw) {
    let value = raw[name];
    if (Array.isArray(value)) value = value[0];
    if (value === undefined || value === null) continue;
    headers[name] = typeof value === 'string' ? value : value.toString();
  }
  return headers;
}

// Read once: the contracts lib exports HEADERS through a getter, and these are read per record.
const ATTEMPT = HEADERS.attempt;
const DUE_AT = HEADERS.dueAt;
const ORIGINAL_STREAM = HEADERS.originalStream;
const ORIGINAL_PARTITION = HEADERS.originalPartition;
const ORIGINAL_OFFSET = HEADERS.originalOffset;

/** Failed attempts so far according to `x-attempt` (0 when absent or invalid). */
export function attemptOf(headers: MessageHeaders): number {
  const text = headers[ATTEMPT];
  if (text === undefined) return 0;
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** Epoch ms at which a retried message may run (`x-due-at`), or 0 when it has none. */
export function dueAtOf(headers: MessageHeaders): number {
  const n = Number(headers[DUE_AT]);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

/** Where an event was first read: the `x-original-*` headers of a retry, else its own position. */
export function sourceOf(headers: MessageHeaders, position: EventPosition): EventPosition {
  const stream = headers[ORIGINAL_STREAM];
  if (stream === undefined) return position; // not a retry: the common case, one lookup
  const partition = headers[ORIGINAL_PARTITION];
  const offset = headers[ORIGINAL_OFFSET];
  if (partition === undefined || offset === undefined) return position;
  return { topic: stream, partition: Number(partition), offset };
}

/**
 * Parses a consumed message into the event a handler sees.
 *
 * @throws MalformedPayloadError when the value is not a JSON object with a string `eventId`
 *   (the failure handler then dead-letters it without retries)
 */
export function toIncomingEvent<T = unknown>(stream: string, raw: RawMessage): IncomingEvent<T> {
  if (raw.value === null || raw.value.length === 0) throw new MalformedPayloadError('empty message value');
  let payload: unknown;
  try {
    // toString() without arguments is Node's fast path (no encoding lookup).
    payload = JSON.parse(raw.value.toString());
  } catch (error) {
    throw new MalformedPayloadError(`message value is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new MalformedPayloadError('message value is not a JSON object');
  }
  const eventId = (payload as { eventId?: unknown }).eventId;
  if (typeof eventId !== 'string' || eventId.length === 0) {
    throw new MalformedPayloadError('message value has no string eventId');
  }
  return new ParsedEvent<T>(stream, eventId, payload as T, raw);
}

/**
 * An event parsed from a {@link RawMessage}: `stream`, `eventId` and `payload` are fields, the
 * rest is read from the raw message when a handler asks.
 *
 * Why: most handlers read the payload and eventId only, and decoding the headers of every record
 * of a large Kafka fetch, whose objects have left the CPU's caches by the time its batch runs,
 * cost a fifth of the transport's CPU per record (consumer-kafka bench). The accessors live on the
 * prototype, so a spread copy (`{ ...event }`) has only the three fields: use {@link withPayload}
 * to derive an event, or {@link eventFields} for a plain copy. JSON.stringify and util.inspect
 * give every field.
 */
export class ParsedEvent<T = unknown> implements IncomingEvent<T> {
  readonly #raw: RawMessage;

  constructor(
    readonly stream: string,
    readonly eventId: string,
    readonly payload: T,
    raw: RawMessage,
  ) {
    this.#raw = raw;
  }

  get key(): string | null {
    return this.#raw.key;
  }

  get headers(): MessageHeaders {
    return this.#raw.headers;
  }

  get attempt(): number {
    return attemptOf(this.#raw.headers);
  }

  get source(): EventPosition {
    return sourceOf(this.#raw.headers, this.#raw.position);
  }

  get position(): EventPosition {
    return this.#raw.position;
  }

  get timestamp(): number | undefined {
    return this.#raw.timestamp;
  }

  /** The same event with another payload (e.g. the validated one). */
  withPayload<U>(payload: U): ParsedEvent<U> {
    return new ParsedEvent(this.stream, this.eventId, payload, this.#raw);
  }

  toJSON(): IncomingEvent<T> {
    return eventFields(this);
  }

  /** console.log and util.inspect show every field, as for a plain event. */
  [inspect.custom](): IncomingEvent<T> {
    return eventFields(this);
  }
}

/** A plain-object copy of an event with every field read. */
export function eventFields<T>(event: IncomingEvent<T>): IncomingEvent<T> {
  const { stream, key, eventId, payload, headers, attempt, source, position, timestamp } = event;
  return { stream, key, eventId, payload, headers, attempt, source, position, timestamp };
}

/** The same event with another payload, keeping how its other fields are read. */
export function withPayload<T, U>(event: IncomingEvent<T>, payload: U): IncomingEvent<U> {
  return event instanceof ParsedEvent ? event.withPayload(payload) : { ...eventFields(event), payload };
}

/**
 * Serialises an outgoing message: JSON value, `x-event-id` from `value.eventId` and
 * `x-event-type` = the stream unless the caller set them.
 */
export function encodeMessage(message: OutgoingMessage): EncodedMessage {
  const headers: MessageHeaders = { ...message.headers };
  if (headers[HEADERS.eventId] === undefined) {
    const eventId = (message.value as { eventId?: unknown } | null)?.eventId;
    if (typeof eventId === 'string') headers[HEADERS.eventId] = eventId;
  }
  if (headers[HEADERS.eventType] === undefined) headers[HEADERS.eventType] = message.stream;
  return {
    stream: message.stream,
    key: message.key,
    value: Buffer.from(JSON.stringify(message.value)),
    headers,
  };
}

/** The payload of a stored message for display (dead-letter listings): parsed JSON, else the text. */
export function displayPayload(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
