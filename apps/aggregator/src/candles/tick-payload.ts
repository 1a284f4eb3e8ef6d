import { stampedPayload, tickInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `ticks` payload: the `POST /v1/ticks` body plus `eventId` and `receivedAt`, `occurredAt`
 * defaulting to `receivedAt` (stampedPayload). The candle merge ranks ticks by both times.
 */
export const tickPayload = stampedPayload(tickInput);

export type TickPayload = z.infer<typeof tickPayload>;
