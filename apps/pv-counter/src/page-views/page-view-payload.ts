import { fieldIssues, pageViewInput } from '@lib/contracts';
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

/** A valid payload, or why it is not one. */
export type ParsedPageView = { ok: true; view: PageViewPayload } | { ok: false; problem: string };

/** Validates one payload. */
export function parsePageView(payload: unknown): ParsedPageView {
  const result = pageViewPayload.safeParse(payload);
  if (result.success) return { ok: true, view: result.data };
  const problems = fieldIssues(result.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || result.error.message };
}
