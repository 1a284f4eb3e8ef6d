import {
  EVENT_INPUTS,
  HEADERS,
  STREAMS,
  type FieldIssue,
  type IngestStream,
  type MessageHeaders,
} from '@lib/contracts';
import type { OutgoingMessage } from '@lib/queue';
import { v7 as timeOrderedUuid } from 'uuid';
import { parseIntakeBody } from './intake-body';

/** A request body turned into the messages to publish, or every problem found in it. */
export type IntakeMessages =
  | { ok: true; messages: OutgoingMessage[]; eventIds: string[] }
  | { ok: false; problems: FieldIssue[] };

/**
 * Validates a body for one stream and stamps each event: `eventId` (the client's, or a new
 * UUID), `receivedAt`, and `occurredAt` defaulting to receipt. Pure apart from the clock and the
 * UUIDs, so the intake routes and the ingest benchmark's baseline do exactly the same work.
 * `origin` (the request's `x-request-id` and trace context) is added to every event's headers.
 *
 * The new ids are time-ordered UUIDs (version 7): every de-duplicating consumer inserts each id
 * into the primary key of `processed_events`, which holds a day of them. Random (version 4) ids
 * land on random leaf pages of that index, so once it outgrows memory each insert touches a page
 * of its own and, after a checkpoint, writes it whole to the WAL; time-ordered ids go to the
 * index's right edge. With 2 million ids stored, claiming a flush of 2,174 took 33–35 ms (PostgreSQL
 * 25–27 ms of CPU, 1–4.8 MB of WAL) with version 4 ids and 15 ms (10 ms, 0.7 MB) with version 7.
 */
export function intakeMessages(
  stream: IngestStream,
  body: unknown,
  receivedAt = new Date().toISOString(),
  origin?: MessageHeaders,
): IntakeMessages {
  const parsed = parseIntakeBody(EVENT_INPUTS[stream], body);
  if (!parsed.ok) return parsed;
  const keyField = STREAMS[stream].key;
  const count = parsed.events.length;
  const messages = new Array<OutgoingMessage>(count);
  const eventIds = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    // The schema's output is a new object, so it is stamped in place: a spread followed by more
    // properties runs on a slow path in Node 20 and leaves objects that serialise slowly.
    const value = parsed.events[i] as Record<string, unknown> & {
      eventId?: string;
      occurredAt?: string;
    };
    const eventId = (value.eventId ??= timeOrderedUuid());
    value.occurredAt ??= receivedAt;
    value.receivedAt = receivedAt;
    const headers: MessageHeaders = Object.assign({}, origin);
    headers[HEADERS.eventId] = eventId;
    headers[HEADERS.eventType] = stream;
    eventIds[i] = eventId;
    messages[i] = { stream, key: String(value[keyField]), value, headers };
  }
  return { ok: true, messages, eventIds };
}
