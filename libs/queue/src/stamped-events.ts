import { withReceivedAt } from '@lib/contracts';
import type { EventMetadataReader, IncomingEvent } from './incoming-event';

/** True when `payload` is an object without `receivedAt`, which {@link withReceivedAt} stamps. */
function lacksReceivedAt(payload: unknown): boolean {
  return (
    typeof payload === 'object' &&
    payload !== null &&
    !Array.isArray(payload) &&
    (payload as { receivedAt?: unknown }).receivedAt === undefined
  );
}

/**
 * The events of a stream whose payloads are `stampedPayload`s, ready to validate: a payload
 * without `receivedAt` (a producer outside ingest may leave it out) gets the broker's record time
 * of its event, read through `metadata` (the handler's `QueueContext`). The others, all of
 * ingest's, are passed on as they are, and their metadata is not decoded.
 */
export function withRecordTimes(
  events: readonly IncomingEvent<unknown>[],
  metadata: EventMetadataReader,
): IncomingEvent<unknown>[] {
  const out = new Array<IncomingEvent<unknown>>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    out[i] = lacksReceivedAt(event.payload)
      ? {
          ...event,
          payload: withReceivedAt(event.payload, metadata.metadataOf(event).timestamp),
        }
      : event;
  }
  return out;
}
