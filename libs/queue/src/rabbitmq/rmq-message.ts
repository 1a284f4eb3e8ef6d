import type { Message, MessageProperties, Options } from 'amqplib';
import { HEADERS, type MessageHeaders } from '@lib/contracts';

/**
 * The event key, as a header. The routing key cannot carry it everywhere: retries and replays go
 * through the default exchange, whose routing key must be the queue name, and a routing key is
 * limited to 255 bytes while keys (a page id) may be longer in UTF-8.
 */
export const KEY_HEADER = HEADERS.key;

/** AMQP short strings (routing keys) hold at most this many bytes. */
const MAX_ROUTING_KEY_BYTES = 255;

/** RabbitMQ's dead-lettering bookkeeping (`x-death`, `x-first-death-queue`, …), added on every TTL retry. */
const BROKER_DEATH_HEADER = /^x-(first-|last-)?death/;

/**
 * The message's headers as strings. Values we wrote are strings already; numbers and buffers from
 * other producers are converted. RabbitMQ's dead-lettering headers are left out: they are broker
 * bookkeeping (a table, for `x-death`), not contract headers, and would pile up on the copies.
 */
export function headersOf(properties: MessageProperties): MessageHeaders {
  const headers: MessageHeaders = {};
  const raw = properties.headers as Record<string, unknown> | undefined;
  // for…in rather than Object.entries: this runs for every delivery.
  for (const name in raw) {
    const value = raw[name];
    if (typeof value === 'string') {
      if (!BROKER_DEATH_HEADER.test(name)) headers[name] = value;
    } else if (
      typeof value === 'number' ||
      typeof value === 'bigint' ||
      typeof value === 'boolean'
    ) {
      headers[name] = String(value);
    } else if (Buffer.isBuffer(value)) {
      headers[name] = value.toString('utf8');
    }
  }
  return headers;
}

/**
 * The event key of a delivery: the key header, else the routing key when the message came
 * straight from the stream exchange (producers outside this project set only that), else null.
 */
export function keyOf(message: Message, headers: MessageHeaders, stream: string): string | null {
  const header = headers[KEY_HEADER];
  if (header !== undefined) return header;
  return message.fields.exchange === stream && message.fields.routingKey !== ''
    ? message.fields.routingKey
    : null;
}

/** The routing key for publishing `key` to a fanout stream exchange: the key when it fits, else ''. */
export function routingKeyFor(key: string): string {
  return Buffer.byteLength(key, 'utf8') <= MAX_ROUTING_KEY_BYTES ? key : '';
}

/** Properties of every message we publish: persistent, JSON, headers as given. */
export function publishOptions(headers: MessageHeaders, extra?: Options.Publish): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    timestamp: Math.floor(Date.now() / 1000),
    ...extra,
    headers,
  };
}

/** The properties of a consumed message to carry over when it is republished (retry, dead letter, replay). */
export function carriedOptions(
  message: Message,
  headers: MessageHeaders,
  extra?: Options.Publish,
): Options.Publish {
  const p = message.properties;
  return {
    persistent: true,
    contentType: p.contentType ?? 'application/json',
    contentEncoding: p.contentEncoding,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    appId: p.appId,
    correlationId: p.correlationId,
    ...extra,
    headers,
  };
}
