import { HEADERS, MAX_ERROR_STACK_BYTES, type MessageHeaders } from '@lib/contracts';
import { errorClassOf } from './retry.errors';

/** Where a failed event was first read. */
export interface EventSource {
  readonly stream: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * The headers of an event after a failure: attempt count, error details, timestamps, and the
 * original position (kept from the first failure, so a retried event still points at its source).
 */
export function failureHeaders(
  previous: MessageHeaders,
  error: unknown,
  failedAttempts: number,
  source: EventSource,
  now: number,
  dueAt?: number,
): MessageHeaders {
  const err = error instanceof Error ? error : new Error(String(error));
  const nowIso = new Date(now).toISOString();
  const headers: MessageHeaders = {
    ...previous,
    [HEADERS.attempt]: String(failedAttempts),
    [HEADERS.originalStream]: previous[HEADERS.originalStream] ?? source.stream,
    [HEADERS.originalPartition]: previous[HEADERS.originalPartition] ?? String(source.partition),
    [HEADERS.originalOffset]: previous[HEADERS.originalOffset] ?? source.offset,
    [HEADERS.errorClass]: errorClassOf(error),
    [HEADERS.errorMessage]: truncateBytes(err.message, MAX_ERROR_STACK_BYTES),
    [HEADERS.errorStack]: truncateBytes(err.stack ?? '', MAX_ERROR_STACK_BYTES),
    [HEADERS.firstFailedAt]: previous[HEADERS.firstFailedAt] ?? nowIso,
    [HEADERS.lastFailedAt]: nowIso,
  };
  if (dueAt !== undefined) headers[HEADERS.dueAt] = String(dueAt);
  else delete headers[HEADERS.dueAt];
  return headers;
}

/** Headers for replaying a dead letter: the failure history is dropped (attempts start again), the identity and key kept. */
export function replayHeaders(previous: MessageHeaders): MessageHeaders {
  const kept: MessageHeaders = {};
  for (const [name, value] of Object.entries(previous)) {
    const identity =
      name === HEADERS.eventId ||
      name === HEADERS.eventType ||
      name === HEADERS.key ||
      name === HEADERS.requestId;
    if (identity || !name.startsWith('x-')) kept[name] = value;
  }
  return kept;
}

/** Cuts a string to at most `max` UTF-8 bytes without splitting a character. */
export function truncateBytes(text: string, max: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  let end = max;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
