import { HEADERS } from '@lib/contracts';
import type { OutgoingMessage } from '@lib/queue';

/** A record's identity in the spool: stream and event id; undefined when it carries no id. */
function identity(message: OutgoingMessage): string | undefined {
  const eventId = message.headers?.[HEADERS.eventId];
  return typeof eventId === 'string' ? `${message.stream}\u0000${eventId}` : undefined;
}

/**
 * Publishes that outlived the ack bound, whose events were spooled meanwhile. The broker may still
 * acknowledge such a publish; its events are then remembered here and the drainer skips their
 * spooled copies, so that the topic gets them once. In memory only: after a crash the copies are
 * replayed and consumers remove the duplicates by eventId.
 */
export class LateAcks {
  private readonly pending = new Set<Promise<void>>();
  private readonly acked = new Set<string>();
  private count = 0;

  /**
   * Follows an abandoned publish of `messages`; `stillSpooled()` tells, once it is acknowledged,
   * whether their spooled copies exist (false when the spool refused them).
   */
  follow(
    publish: Promise<void>,
    messages: readonly OutgoingMessage[],
    stillSpooled: () => boolean,
    settled: () => void,
  ): void {
    const watch = publish
      .then(
        () => {
          if (!stillSpooled()) return;
          for (const message of messages) {
            const id = identity(message);
            if (id !== undefined) this.acked.add(id);
          }
          this.count += messages.length;
        },
        () => undefined, // not delivered (or not known to be): the spooled copies are replayed
      )
      .finally(() => {
        this.pending.delete(watch);
        settled();
      });
    this.pending.add(watch);
  }

  /** Resolves once no abandoned publish is unsettled, so their outcome is known before a replay. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Abandoned publishes not settled yet. */
  get unsettled(): number {
    return this.pending.size;
  }

  /** True when the broker acknowledged this record's event after it was spooled. */
  delivered(message: OutgoingMessage): boolean {
    const id = identity(message);
    return id !== undefined && this.acked.has(id);
  }

  /** Forgets the late acks of records that left the spool. */
  forget(messages: readonly OutgoingMessage[]): void {
    for (const message of messages) {
      const id = identity(message);
      if (id !== undefined) this.acked.delete(id);
    }
  }

  /** Events the broker acknowledged after the bound, since start. */
  get acknowledgedLate(): number {
    return this.count;
  }
}
