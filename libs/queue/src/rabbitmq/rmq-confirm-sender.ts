import type { ConfirmChannel, Message, Options } from 'amqplib';

/** RabbitMQ returned a mandatory message: no queue has that name (it was deleted). */
export class UnroutableError extends Error {
  constructor(readonly queue: string) {
    super(`queue ${queue} does not exist (RabbitMQ returned the message)`);
    this.name = 'UnroutableError';
  }
}

/** One send waiting for its confirm. */
interface Pending {
  readonly content: Buffer;
  returned: boolean;
}

/**
 * Sends to queues through the default exchange on a confirm channel, and resolves only when the
 * message is really in the queue. A confirm alone is not enough: RabbitMQ confirms a message it
 * could not route (a deleted queue) and drops it, so sends are `mandatory` and a returned message
 * rejects with {@link UnroutableError} instead. RabbitMQ sends the return before the confirm, in
 * publish order, so a return is matched to the oldest unconfirmed send to that queue with the
 * same bytes (returns carry no publish sequence number).
 */
export class RmqConfirmSender {
  private readonly pending = new Map<string, Pending[]>();

  constructor(readonly channel: ConfirmChannel) {
    channel.on('return', (message: Message) => {
      const first = this.pending
        .get(message.fields.routingKey)
        ?.find((p) => !p.returned && p.content.equals(message.content));
      if (first) first.returned = true;
    });
  }

  /** Sends `content` to `queue`; resolves once it is confirmed and was not returned. */
  send(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    const entry: Pending = { content, returned: false };
    let list = this.pending.get(queue);
    if (!list) this.pending.set(queue, (list = []));
    list.push(entry);
    return new Promise((resolve, reject) => {
      const settle = (error: unknown) => {
        const index = list!.indexOf(entry);
        if (index >= 0) list!.splice(index, 1);
        if (list!.length === 0 && this.pending.get(queue) === list) this.pending.delete(queue);
        if (error) reject(error instanceof Error ? error : new Error('nacked by the broker'));
        else if (entry.returned) reject(new UnroutableError(queue));
        else resolve();
      };
      try {
        this.channel.sendToQueue(queue, content, { ...options, mandatory: true }, settle);
      } catch (error) {
        settle(error); // the channel is closed: amqplib throws synchronously
      }
    });
  }
}
