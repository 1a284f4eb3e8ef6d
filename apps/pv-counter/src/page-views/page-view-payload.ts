import { pageViewInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `page-views` payload (CONTRACT.md: the `POST /v1/page-views` body plus `eventId` and
 * `receivedAt`). `eventId` and `occurredAt` are required here: ingest always sets both.
 */
export const pageViewPayload = pageViewInput.extend({
  eventId: pageViewInput.shape.eventId.unwrap(),
  occurredAt: pageViewInput.shape.occurredAt.unwrap(),
  receivedAt: pageViewInput.shape.occurredAt,
});

export type PageViewPayload = z.infer<typeof pageViewPayload>;
