import { fieldIssues, tickInput } from '@lib/contracts';
import type { z } from 'zod';

/**
 * A `ticks` payload (CONTRACT.md: the `POST /v1/ticks` body plus `eventId` and `receivedAt`).
 * `eventId`, `occurredAt` and `receivedAt` are required here: ingest always sets them, and the
 * candle merge ranks ticks by them.
 */
export const tickPayload = tickInput.extend({
  eventId: tickInput.shape.eventId.unwrap(),
  occurredAt: tickInput.shape.occurredAt.unwrap(),
  receivedAt: tickInput.shape.occurredAt.unwrap(),
});

export type TickPayload = z.infer<typeof tickPayload>;

/** A valid payload, or why it is not one. */
export type ParsedTick = { ok: true; tick: TickPayload } | { ok: false; problem: string };

/** Validates one payload. */
export function parseTick(payload: unknown): ParsedTick {
  const result = tickPayload.safeParse(payload);
  if (result.success) return { ok: true, tick: result.data };
  const problems = fieldIssues(result.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || result.error.message };
}
