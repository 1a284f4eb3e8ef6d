import type { LogEvent } from '@lib/contracts';

/**
 * One request, error or slow-query log record: the `POST /v1/logs` body with its `eventId` and
 * `occurredAt` always set, i.e. the `app-logs` payload before ingest adds `receivedAt`.
 */
export type LogRecord = Omit<LogEvent, 'receivedAt'>;

/** The kinds of record (`request`, `error`, `query`). */
export type LogKind = LogRecord['kind'];

/** Record levels (`debug` … `fatal`). */
export type LogRecordLevel = LogRecord['level'];

/** What a producer says about a record; the recorder adds `service`, `eventId` and `occurredAt`. */
export type LogRecordInput = Omit<LogRecord, 'service' | 'eventId' | 'occurredAt'>;

/** Longest `message` the contract accepts. */
export const MAX_MESSAGE_CHARS = 65_536;

/** Stacks are cut here: the top frames say where, the rest only costs storage. */
export const MAX_STACK_CHARS = 8_192;

/** `text` cut to `max` characters, marked when cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
