import { orderInput, stampedPayload } from '@lib/contracts';
import type { z } from 'zod';

/**
 * An `orders` payload: the `POST /v1/orders` body plus `eventId` and `receivedAt`, `occurredAt`
 * defaulting to `receivedAt` (stampedPayload).
 */
export const orderPayload = stampedPayload(orderInput);

export type OrderPayload = z.infer<typeof orderPayload>;
