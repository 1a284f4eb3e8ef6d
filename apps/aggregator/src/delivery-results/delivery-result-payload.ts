import { deliveryResultInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `delivery-results` payload (CONTRACT.md: the `POST /v1/delivery-results` body plus `eventId`
 * and `receivedAt`). `eventId` and `occurredAt` are required here: ingest always sets both.
 */
export const deliveryResultPayload = deliveryResultInput.extend({
  eventId: deliveryResultInput.shape.eventId.unwrap(),
  occurredAt: deliveryResultInput.shape.occurredAt.unwrap(),
  receivedAt: deliveryResultInput.shape.occurredAt,
});

export type DeliveryResultPayload = z.infer<typeof deliveryResultPayload>;
