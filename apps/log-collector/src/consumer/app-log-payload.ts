import { fieldIssues, logInput } from '@lib/contracts';
import { z } from 'zod';
import type { StorableLog } from '../logs';

/**
 * An `app-logs` payload (CONTRACT.md: the `POST /v1/logs` body plus `eventId` and `receivedAt`):
 * `eventId` and `occurredAt` are required here (ingest and the log shippers always set them),
 * `receivedAt` may be absent (records shipped by an app; the insert then uses the time of the insert).
 */
export const appLogPayload = logInput.extend({
  eventId: logInput.shape.eventId.unwrap(),
  occurredAt: logInput.shape.occurredAt.unwrap(),
  receivedAt: logInput.shape.occurredAt,
});

/** A valid payload as a storable record, or why it is not one. */
export type ParsedAppLog = { ok: true; log: StorableLog } | { ok: false; problem: string };

/** Validates one payload. */
export function parseAppLog(payload: unknown): ParsedAppLog {
  const result = appLogPayload.safeParse(payload);
  if (result.success) return { ok: true, log: result.data as StorableLog };
  const problems = fieldIssues(result.error, payload)
    .map((issue) => `${issue.field}: ${issue.problem}`)
    .join('; ');
  return { ok: false, problem: problems || result.error.message };
}
