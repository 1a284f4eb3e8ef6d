import { Injectable } from '@nestjs/common';
import { EVENT_INPUTS, HEADERS, STREAMS, type IngestStream } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { EventPublisher, type OutgoingMessage } from '@lib/queue';
import { randomUUID } from 'node:crypto';
import { parseIntakeBody } from './intake-body';

/** The answer to an accepted request (202). */
export interface IntakeReceipt {
  readonly accepted: number;
  readonly eventIds: string[];
}

/**
 * Validates a request body for one stream, stamps each event (`eventId` when the client gave
 * none, `receivedAt`, `occurredAt` defaulting to receipt) and publishes them. Resolves once the
 * events are durable: acknowledged by the broker, or written to the local spool.
 */
@Injectable()
export class EventIntakeService {
  constructor(private readonly publisher: EventPublisher) {}

  async accept(stream: IngestStream, body: unknown): Promise<IntakeReceipt> {
    const parsed = parseIntakeBody(EVENT_INPUTS[stream], body);
    if (!parsed.ok) throw new BadInputException(parsed.problems);
    const receivedAt = new Date().toISOString();
    const keyField = STREAMS[stream].key;
    const messages: OutgoingMessage[] = parsed.events.map((input) => {
      const eventId = input.eventId ?? randomUUID();
      const value = { ...input, eventId, occurredAt: input.occurredAt ?? receivedAt, receivedAt };
      return {
        stream,
        key: String((value as Record<string, unknown>)[keyField]),
        value,
        headers: { [HEADERS.eventId]: eventId, [HEADERS.eventType]: stream },
      };
    });
    await this.publisher.publish(messages);
    return { accepted: messages.length, eventIds: messages.map((m) => (m.value as { eventId: string }).eventId) };
  }
}
