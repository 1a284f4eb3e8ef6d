import { withReceivedAt } from '@lib/contracts';
import type { IncomingEvent } from './incoming-event';
import { withPayload } from './runtime/envelope';

/**
 * The events of a stream whose payloads are `stampedPayload`s, ready to validate: a payload
 * without `receivedAt` (a producer outside ingest may leave it out) gets the broker's record time
 * of its event. The others, all of ingest's, are passed on as they are.
 */
export function withRecordTimes(
  events: readonly IncomingEvent<unknown>[],
): IncomingEvent<unknown>[] {
  const out = new Array<IncomingEvent<unknown>>(events.length);
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const payload = withReceivedAt(event.payload, event.timestamp);
    out[i] = payload === event.payload ? event : withPayload(event, payload);
  }
  return out;
}
