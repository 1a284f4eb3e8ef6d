import { deliveryResultInput, fieldIssues } from '@lib/contracts';
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

/** A valid payload, or why it is not one. */
export type ParsedDeliveryResult =
  | { ok: true; result: DeliveryResultPayload }
  | { ok: false; problem: string };

/** Validates one payload. */
export function parseDeliveryResult(payload: unknown): ParsedDeliveryResult {
  const parsed = deliveryResultPayload.safeParse(payload);
  if (parsed.success) return { ok: true, result: parsed.data };
  const problems = fieldIssues(parsed.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || parsed.error.message };
}
