import {
  batchLogFields,
  recordLogFields,
  type LogContext,
  type LogContextFields,
} from '@lib/observability';
import type { EventMetadataReader, IncomingEvent } from '../incoming-event';

/**
 * The log context of one handler invocation: a record's `eventId`, or a batch's `firstEventId` and
 * `eventCount`, with the `requestId` and `traceId` of the event's headers (see
 * {@link batchLogFields} for a batch). The headers are read on the first line logged, so a
 * handler that logs nothing costs one small object per invocation.
 */
export class EventLogContext implements LogContext {
  private built?: LogContextFields;
  /** A batch as delivered: the handler may reorder or empty the array it was given. */
  private readonly events: IncomingEvent | readonly IncomingEvent[];

  constructor(
    data: IncomingEvent | readonly IncomingEvent[],
    private readonly reader: EventMetadataReader,
  ) {
    this.events = Array.isArray(data) ? data.slice() : data;
  }

  fields(): LogContextFields {
    return (this.built ??= this.build());
  }

  private build(): LogContextFields {
    const events = this.events;
    if (!Array.isArray(events)) {
      const event = events as IncomingEvent;
      return recordLogFields(event.eventId, this.headersOf(event));
    }
    return batchLogFields(
      events[0]?.eventId,
      events.length,
      events.map((event) => this.headersOf(event)),
    );
  }

  private headersOf(event: IncomingEvent): Readonly<Record<string, string>> | undefined {
    try {
      return this.reader.metadataOf(event).headers;
    } catch {
      return undefined; // a hand-made event without a delivery: its ids are all there is
    }
  }
}
