import { z } from 'zod';
import { eventIdRule, isoDateTime } from './field-rules';

/** An ingest body schema (`pageViewInput`, …): an object whose `occurredAt` is optional. */
type BodySchema = z.ZodObject;

/** A stream payload once read: the body with `eventId`, `receivedAt` and `occurredAt` always set. */
export type StampedOutput<B extends BodySchema> = Omit<z.output<B>, 'occurredAt'> & {
  eventId: string;
  occurredAt: string;
  receivedAt: string;
};

/**
 * The payload schema of a stream: the ingest `body` plus `eventId` (required, 1–100 characters)
 * and `receivedAt` (ISO-8601 with an offset), where a missing `occurredAt` reads as `receivedAt`.
 * Run the payload through {@link withReceivedAt} first: a producer may leave `receivedAt` out.
 */
export function stampedPayload<B extends BodySchema>(body: B) {
  return body
    .extend({ eventId: eventIdRule(), receivedAt: isoDateTime() })
    .transform((parsed): StampedOutput<B> => {
      const payload = parsed as StampedOutput<B> & { occurredAt?: string };
      // Ingest always sets occurredAt: only a payload from elsewhere pays for the copy.
      return payload.occurredAt === undefined
        ? { ...payload, occurredAt: payload.receivedAt }
        : payload;
    });
}

/**
 * The payload as {@link stampedPayload} reads it: one without `receivedAt` gets the time the
 * broker gave its record (`recordTimeMs`, epoch ms), or now when the broker gave none. Anything
 * but an object is returned as it is, for the schema to reject.
 */
export function withReceivedAt(payload: unknown, recordTimeMs: number | undefined): unknown {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return payload;
  if ((payload as { receivedAt?: unknown }).receivedAt !== undefined) return payload;
  const at =
    recordTimeMs !== undefined && Number.isFinite(recordTimeMs) ? recordTimeMs : Date.now();
  return { ...payload, receivedAt: new Date(at).toISOString() };
}
