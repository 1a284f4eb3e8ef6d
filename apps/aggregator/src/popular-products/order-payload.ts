import { fieldIssues, orderInput } from '@lib/contracts';
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

/** A valid payload, or why it is not one. */
export type ParsedOrder = { ok: true; order: OrderPayload } | { ok: false; problem: string };

/** Validates one payload. */
export function parseOrder(payload: unknown): ParsedOrder {
  const result = orderPayload.safeParse(payload);
  if (result.success) return { ok: true, order: result.data };
  const problems = fieldIssues(result.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || result.error.message };
}
