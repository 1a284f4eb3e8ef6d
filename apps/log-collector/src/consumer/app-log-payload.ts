import { logInput } from '@lib/contracts';

/**
 * An `app-logs` payload (CONTRACT.md: the `POST /v1/logs` body plus `eventId` and `receivedAt`):
 * `eventId` and `occurredAt` are required here (ingest and the log shippers always set them),
 * `receivedAt` may be absent (records shipped by an app; the insert then uses the time of the insert).
 */
export const appLogPayload = logInput.extend({
  eventId: logInput.shape.eventId.unwrap(),
  occurredAt: logInput.shape.occurredAt.unwrap(),
  receivedAt: logInput.shape.occurredAt,
});
