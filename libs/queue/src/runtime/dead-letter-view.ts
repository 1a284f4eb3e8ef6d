import { HEADERS } from '@lib/contracts';
import type { DeadLetter } from '../dead-letters';
import { attemptOf, displayPayload, sourceOf, type RawMessage } from './envelope';

/**
 * A stored dead letter as `GET /admin/dead-letters` lists it (docs/contract.md), from its message and
 * failure headers; `id` is the broker's handle for replay (Kafka and memory: `<partition>:<offset>`).
 */
export function toDeadLetter(id: string, stream: string, message: RawMessage): DeadLetter {
  const headers = message.headers;
  const source = sourceOf(headers, message.position);
  return {
    id,
    stream,
    attempts: attemptOf(headers),
    error: {
      class: headers[HEADERS.errorClass] ?? 'Error',
      message: headers[HEADERS.errorMessage] ?? '',
    },
    firstFailedAt: headers[HEADERS.firstFailedAt] ?? '',
    lastFailedAt: headers[HEADERS.lastFailedAt] ?? '',
    payload: displayPayload(message.value),
    source: { topic: source.topic, partition: source.partition, offset: source.offset },
    headers,
  };
}

/** Oldest failure first, then by id, so listings are stable. */
export function byLastFailure(a: DeadLetter, b: DeadLetter): number {
  if (a.lastFailedAt !== b.lastFailedAt) return a.lastFailedAt < b.lastFailedAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
