import { deliveryResultInput, stampedPayload } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `delivery-results` payload: the `POST /v1/delivery-results` body plus `eventId` and
 * `receivedAt`, `occurredAt` defaulting to `receivedAt` (stampedPayload).
 */
export const deliveryResultPayload = stampedPayload(deliveryResultInput);

export type DeliveryResultPayload = z.infer<typeof deliveryResultPayload>;
