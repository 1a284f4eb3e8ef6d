import { orderInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * An `orders` payload (CONTRACT.md: the `POST /v1/orders` body plus `eventId` and `receivedAt`).
 * `eventId` and `occurredAt` are required here: ingest always sets both.
 */
export const orderPayload = orderInput.extend({
  eventId: orderInput.shape.eventId.unwrap(),
  occurredAt: orderInput.shape.occurredAt.unwrap(),
  receivedAt: orderInput.shape.occurredAt,
});

export type OrderPayload = z.infer<typeof orderPayload>;
