import { pageViewInput, stampedPayload } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `page-views` payload: the `POST /v1/page-views` body plus `eventId` and `receivedAt`,
 * `occurredAt` defaulting to `receivedAt` (stampedPayload).
 */
export const pageViewPayload = stampedPayload(pageViewInput);

export type PageViewPayload = z.infer<typeof pageViewPayload>;
