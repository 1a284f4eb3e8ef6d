import type {
  EventMetadata,
  EventMetadataReader,
  EventPosition,
  IncomingEvent,
} from '../incoming-event';
import { metadataOfMessage, type RawMessage } from './envelope';

function samePosition(a: EventPosition, b: EventPosition): boolean {
  return a.offset === b.offset && a.partition === b.partition && a.topic === b.topic;
}

function notDelivered(event: IncomingEvent<unknown>): Error {
  const at = event?.position;
  const where = at ? `${at.topic}/${at.partition}@${at.offset}` : 'without a position';
  return new Error(
    `metadataOf: event ${event?.eventId} (${where}) was not delivered with this context`,
  );
}

/** The metadata reader of a per-record invocation: one event and its raw message. */
export class DeliveredEvent implements EventMetadataReader {
  private metadata?: EventMetadata;

  constructor(
    private readonly event: IncomingEvent<unknown>,
    private readonly raw: RawMessage,
  ) {}

  metadataOf(event: IncomingEvent<unknown>): EventMetadata {
    const position = event?.position;
    if (
      position !== this.event.position &&
      !(position && samePosition(position, this.event.position))
    )
      throw notDelivered(event);
    return (this.metadata ??= metadataOfMessage(this.raw, this.event.position));
  }
}

/**
 * The metadata reader of a batch or a log batch: the delivered events and their raw messages.
 *
 * Why an index-aligned copy rather than a map filled per record (or a WeakMap from event to raw
 * message): nothing is spent per record unless a handler asks, and handlers that never ask are
 * the common case on the hot path. The copy of the event array is taken because a handler may
 * filter or reorder the array it was given; the position map is built on the first lookup.
 */
export class DeliveredEvents implements EventMetadataReader {
  private readonly events: readonly IncomingEvent<unknown>[];
  private byPosition?: Map<EventPosition, number>;
  private metadata?: Array<EventMetadata | undefined>;

  /**
   * @param events the events as handed to the handler (copied)
   * @param raws their raw messages: `raws[indexes[i]]` (or `raws[i]` without indexes) is event i's
   */
  constructor(
    events: readonly IncomingEvent<unknown>[],
    private readonly raws: readonly RawMessage[],
    private readonly indexes?: readonly number[],
  ) {
    this.events = events.slice();
  }

  metadataOf(event: IncomingEvent<unknown>): EventMetadata {
    const e = this.indexOf(event);
    if (e < 0) throw notDelivered(event);
    const cache = (this.metadata ??= new Array<EventMetadata | undefined>(this.events.length));
    const raw = this.raws[this.indexes === undefined ? e : this.indexes[e]];
    return (cache[e] ??= metadataOfMessage(raw, this.events[e].position));
  }

  private indexOf(event: IncomingEvent<unknown>): number {
    const position = event?.position;
    if (position === undefined) return -1;
    if (this.byPosition === undefined) {
      this.byPosition = new Map();
      for (let e = 0; e < this.events.length; e++) this.byPosition.set(this.events[e].position, e);
    }
    const e = this.byPosition.get(position);
    if (e !== undefined) return e;
    // A deep copy (structuredClone): found by value.
    return this.events.findIndex((delivered) => samePosition(delivered.position, position));
  }
}
