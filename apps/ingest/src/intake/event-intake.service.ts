import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import type { IngestStream, MessageHeaders } from '@lib/contracts';
import { BadInputException } from '@lib/platform';
import { EventPublisher } from '@lib/queue';
import { isSpoolFullError, SpoolClosedError } from '@lib/spool';
import { intakeMessages } from './intake-messages';

/** The answer to an accepted request (202). */
export interface IntakeReceipt {
  readonly accepted: number;
  readonly eventIds: string[];
}

/**
 * Validates a request body for one stream, stamps each event (`eventId` when the client gave
 * none, `receivedAt`, `occurredAt` defaulting to receipt) and publishes them. Resolves once the
 * events are durable: acknowledged by the broker, or written to the local spool. The publisher
 * injected here is the spooling one (see IntakeModule). `origin` holds the request's
 * `x-request-id` and trace context headers, stamped into every event.
 */
@Injectable()
export class EventIntakeService {
  constructor(private readonly publisher: EventPublisher) {}

  async accept(
    stream: IngestStream,
    body: unknown,
    origin?: MessageHeaders,
  ): Promise<IntakeReceipt> {
    const built = intakeMessages(stream, body, undefined, origin);
    if (!built.ok) throw new BadInputException(built.problems);
    try {
      await this.publisher.publish(built.messages);
    } catch (error) {
      // The only failures a spooling publisher lets through: the spool full (the broker down, or
      // slower than intake for long), or the app stopping. Nothing of this request was accepted,
      // so the client may retry it whole.
      if (isSpoolFullError(error)) {
        throw new ServiceUnavailableException(
          'the local spool is full: the broker is unreachable or slower than intake; retry later',
        );
      }
      if (error instanceof SpoolClosedError)
        throw new ServiceUnavailableException('shutting down; retry later');
      throw error;
    }
    return { accepted: built.messages.length, eventIds: built.eventIds };
  }
}
