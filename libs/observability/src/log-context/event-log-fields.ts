import { HEADERS, type MessageHeaders } from '@lib/contracts';
import type { LogContextFields } from './log-context';
import { traceIdOf } from './trace-id';

/** The log fields of one consumed record: its event id, and the request and trace it came from. */
export function recordLogFields(
  eventId: string,
  headers: Readonly<MessageHeaders> | undefined,
): LogContextFields {
  const fields: { eventId: string; requestId?: string; traceId?: string } = { eventId };
  const requestId = headers?.[HEADERS.requestId];
  if (requestId) fields.requestId = requestId;
  const traceId = traceIdOf(headers?.[HEADERS.traceparent]);
  if (traceId) fields.traceId = traceId;
  return fields;
}

/**
 * The log fields of a batch: its first event id and size, and a `requestId` or `traceId` only when
 * every event of the batch has that same one. Why not the first event's: a batch usually mixes
 * requests, and a line stamped with one of them would send a reader after the wrong request.
 */
export function batchLogFields(
  firstEventId: string | undefined,
  eventCount: number,
  headers: ReadonlyArray<Readonly<MessageHeaders> | undefined>,
): LogContextFields {
  const fields: {
    firstEventId?: string;
    eventCount: number;
    requestId?: string;
    traceId?: string;
  } = { eventCount };
  if (firstEventId !== undefined) fields.firstEventId = firstEventId;
  const requestId = shared(headers, (h) => h?.[HEADERS.requestId] || undefined);
  if (requestId) fields.requestId = requestId;
  const traceId = shared(headers, (h) => traceIdOf(h?.[HEADERS.traceparent]));
  if (traceId) fields.traceId = traceId;
  return fields;
}

/** The value every header set gives, or undefined when one lacks it or two differ. */
function shared<T>(
  headers: ReadonlyArray<Readonly<MessageHeaders> | undefined>,
  valueOf: (headers: Readonly<MessageHeaders> | undefined) => T | undefined,
): T | undefined {
  if (headers.length === 0) return undefined;
  const first = valueOf(headers[0]);
  if (first === undefined) return undefined;
  for (let i = 1; i < headers.length; i++) if (valueOf(headers[i]) !== first) return undefined;
  return first;
}
