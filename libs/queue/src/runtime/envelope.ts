import { HEADERS, type MessageHeaders } from '@lib/contracts';
import { MalformedPayloadError } from '@lib/retry';
import type { EventMetadata, EventPosition, IncomingEvent } from '../incoming-event';
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
  /** When the broker took the record, epoch ms (see {@link EventMetadata.timestamp}). */
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
export type RawHeaderValue =
  Buffer | string | number | ReadonlyArray<Buffer | string> | undefined | null;

/** Converts broker header values to strings; arrays keep their first value. */
export function decodeHeaders(
  raw: Readonly<Record<string, RawHeaderValue>> | undefined,
): MessageHeaders {
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
 * Parses a consumed message into the event a handler sees: a plain object whose `position` is the
 * raw message's.
 *
 * @throws MalformedPayloadError when the value is not a JSON object with a string `eventId`
 *   (the failure handler then dead-letters it without retries)
 */
export function toIncomingEvent<T = unknown>(stream: string, raw: RawMessage): IncomingEvent<T> {
  if (raw.value === null || raw.value.length === 0)
    throw new MalformedPayloadError('empty message value');
  let payload: unknown;
  try {
    // toString() without arguments is Node's fast path (no encoding lookup).
    payload = JSON.parse(raw.value.toString());
  } catch (error) {
    throw new MalformedPayloadError(`message value is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new MalformedPayloadError('message value is not a JSON object');
  }
  const eventId = (payload as { eventId?: unknown }).eventId;
  if (typeof eventId !== 'string' || eventId.length === 0) {
    throw new MalformedPayloadError('message value has no string eventId');
  }
  // Why only these four: the metadata (key, headers, …) is decoded when a handler asks the
  // context for it. Made for every record, it cost two to three times the Kafka transport's CPU
  // per record (docs/benchmarks.md, Plain consumed events).
  return { stream, eventId, payload: payload as T, position: raw.position };
}

/** The metadata of a consumed message, decoded now; `position` is the delivered event's. */
export function metadataOfMessage(raw: RawMessage, position: EventPosition): EventMetadata {
  const headers = raw.headers;
  return {
    key: raw.key,
    headers,
    attempt: attemptOf(headers),
    source: sourceOf(headers, position),
    position,
    timestamp: raw.timestamp,
  };
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
