import { EVENT_INPUTS, HEADERS, STREAMS, type FieldIssue, type IngestStream } from '@lib/contracts';
import type { OutgoingMessage } from '@lib/queue';
import { randomUUID } from 'node:crypto';
import { parseIntakeBody } from './intake-body';

/** A request body turned into the messages to publish, or every problem found in it. */
export type IntakeMessages =
  | { ok: true; messages: OutgoingMessage[]; eventIds: string[] }
  | { ok: false; problems: FieldIssue[] };

/**
 * Validates a body for one stream and stamps each event: `eventId` (the client's, or a new
 * UUID), `receivedAt`, and `occurredAt` defaulting to receipt. Pure apart from the clock and the
 * UUIDs, so the intake routes and the ingest benchmark's baseline do exactly the same work.
 */
export function intakeMessages(
  stream: IngestStream,
  body: unknown,
  receivedAt = new Date().toISOString(),
): IntakeMessages {
  const parsed = parseIntakeBody(EVENT_INPUTS[stream], body);
  if (!parsed.ok) return parsed;
  const keyField = STREAMS[stream].key;
  const count = parsed.events.length;
  const messages = new Array<OutgoingMessage>(count);
  const eventIds = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const input = parsed.events[i] as Record<string, unknown> & {
      eventId?: string;
      occurredAt?: string;
    };
    const eventId = input.eventId ?? randomUUID();
    const value = { ...input, eventId, occurredAt: input.occurredAt ?? receivedAt, receivedAt };
    eventIds[i] = eventId;
    messages[i] = {
      stream,
      key: String(input[keyField]),
      value,
      headers: { [HEADERS.eventId]: eventId, [HEADERS.eventType]: stream },
    };
  }
  return { ok: true, messages, eventIds };
}
