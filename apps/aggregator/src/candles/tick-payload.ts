import { tickInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `ticks` payload (CONTRACT.md: the `POST /v1/ticks` body plus `eventId` and `receivedAt`).
 * `eventId`, `occurredAt` and `receivedAt` are required here: ingest always sets them, and the
 * candle merge ranks ticks by them.
 */
export const tickPayload = tickInput.extend({
  eventId: tickInput.shape.eventId.unwrap(),
  occurredAt: tickInput.shape.occurredAt.unwrap(),
  receivedAt: tickInput.shape.occurredAt.unwrap(),
});

export type TickPayload = z.infer<typeof tickPayload>;
