import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { HEADERS } from '@lib/contracts';
import { replayHeaders, topologyNames } from '@lib/retry';
import { DeadLetterAdmin, type DeadLetter } from '../dead-letters';
import { BrokerConnectionError } from '../queue.errors';
import { toDeadLetter } from '../runtime/dead-letter-view';
import { RmqConfirmSender } from './rmq-confirm-sender';
import type { RmqConnection } from './rmq-connection';
import { carriedOptions, headersOf, KEY_HEADER } from './rmq-message';

/** A read of `G.S.failed` gives up waiting for more messages after this long without one. */
const IDLE_MS = 250;
/** At most this many dead letters are held unacked at a time while replaying all of them. */
const REPLAY_PREFETCH = 500;
/** AMQP's prefetch count is 16 bits. */
const MAX_PREFETCH = 65_535;
/** A listing returns at most this many (the channel's prefetch bounds what can be held unacked). */
export const MAX_LIST_LIMIT = 10_000;

/**
 * Dead letters of group `G` on RabbitMQ, kept in `G.S.failed`.
 *
 * Listing must not remove them, and `basic.get` + requeue would reorder the queue and loop over
 * the same head message. Instead a dedicated channel consumes up to `limit` messages without
 * acknowledging them and is then closed: RabbitMQ returns unacked messages of a classic queue to
 * their original position. While a listing runs, those messages are invisible to other readers.
 * Replay works the same way, acknowledging only the selected messages after their republish to
 * `G.S` (default exchange, so only this group sees them again) was confirmed.
 * Operations of one admin run one at a time; concurrent admins in other instances may see a
 * listing in progress as fewer messages.
 */
export class RmqDeadLetterAdmin extends DeadLetterAdmin {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly connection: RmqConnection,
    private readonly group: string,
  ) {
    super();
  }

  list(stream: string, limit: number): Promise<DeadLetter[]> {
    const max = Math.max(0, Math.min(Math.floor(limit), MAX_LIST_LIMIT));
    return this.serial(() =>
      this.withChannel(false, async (channel) => {
        const queue = this.failedQueue(stream);
        const ready = await this.readyCount(channel, queue);
        const wanted = Math.min(max, ready);
        if (wanted === 0) return [];
        await channel.prefetch(wanted);
        const held = await this.read(channel, queue, wanted, () => true);
        // Closing the channel (withChannel) hands every message back, in place.
        return held.map((message) => this.toDeadLetter(stream, message));
      }),
    );
  }

  replay(stream: string, ids?: readonly string[]): Promise<number> {
    const wanted = ids ? new Set(ids) : undefined;
    if (wanted?.size === 0) return Promise.resolve(0);
    return this.serial(() =>
      this.withChannel(true, async (channel) => {
        const queue = this.failedQueue(stream);
        const target = topologyNames.rabbitmq.queue(this.group, stream);
        const ready = await this.readyCount(channel, queue);
        if (ready === 0) return 0;
        // Replaying all acks as it goes; replaying some keeps the others unacked, so they must fit.
        await channel.prefetch(Math.min(ready, wanted ? MAX_PREFETCH : REPLAY_PREFETCH));
        const sender = new RmqConfirmSender(channel as ConfirmChannel);
        const confirms: Array<Promise<void>> = [];
        const take = (message: ConsumeMessage) => {
          const selected = !wanted || wanted.has(this.idOf(message));
          if (selected) confirms.push(this.republish(sender, target, message));
          return selected;
        };
        // Reading stops after the messages present at the start: a replayed event that fails
        // again lands in the failed queue anew and must not be replayed twice in one call. A read
        // also ends when the prefetch is full of unconfirmed replays; then wait and read on.
        let seen = 0;
        while (seen < ready && (!wanted || confirms.length < wanted.size)) {
          const more = wanted ? wanted.size - confirms.length : Infinity;
          const read = await this.read(channel, queue, ready - seen, take, more);
          if (read.length === 0) break;
          seen += read.length;
          await Promise.allSettled(confirms);
        }
        const results = await Promise.allSettled(confirms);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed)
          throw new BrokerConnectionError(
            `replay of ${stream} incomplete: ${(failed.reason as Error).message}`,
          );
        return confirms.length;
      }),
    );
  }

  purge(stream: string): Promise<number> {
    return this.serial(() =>
      this.withChannel(false, async (channel) => {
        const queue = this.failedQueue(stream);
        if ((await this.readyCount(channel, queue)) === 0) return 0;
        const { messageCount } = await channel.purgeQueue(queue);
        return messageCount;
      }),
    );
  }

  depth(stream: string): Promise<number> {
    // Serial: a listing holds messages unacked, which the count would leave out.
    return this.serial(() =>
      this.withChannel(false, (channel) => this.readyCount(channel, this.failedQueue(stream))),
    );
  }

  private failedQueue(stream: string): string {
    return topologyNames.rabbitmq.failedQueue(this.group, stream);
  }

  /** Publishes a copy to `G.S` with the failure history dropped, and acks the dead letter once confirmed. */
  private async republish(
    sender: RmqConfirmSender,
    target: string,
    message: ConsumeMessage,
  ): Promise<void> {
    const previous = headersOf(message.properties);
    const headers = replayHeaders(previous);
    if (previous[KEY_HEADER] !== undefined) headers[KEY_HEADER] = previous[KEY_HEADER];
    const options = carriedOptions(message, headers, {
      messageId: previous[HEADERS.eventId] ?? message.properties.messageId,
    });
    // A replay that RabbitMQ could not route (G.S deleted) fails and leaves the dead letter in place.
    await sender.send(target, message.content, options);
    sender.channel.ack(message);
  }

  /**
   * Consumes up to `count` messages, calling `take` on each; messages `take` rejects stay unacked
   * (so they are not delivered again on this channel). Ends when `count` messages were seen,
   * `enough` were taken, or no message came for a while.
   */
  private read(
    channel: Channel,
    queue: string,
    count: number,
    take: (message: ConsumeMessage) => boolean,
    enough = Infinity,
  ): Promise<ConsumeMessage[]> {
    return new Promise((resolve, reject) => {
      const seen: ConsumeMessage[] = [];
      let taken = 0;
      let idle: NodeJS.Timeout | undefined;
      let tag: string | undefined;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(idle);
        const cancelled = tag ? channel.cancel(tag).then(() => undefined) : Promise.resolve();
        cancelled.then(
          () => resolve(seen),
          () => resolve(seen),
        );
      };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(finish, IDLE_MS);
      };
      channel
        .consume(queue, (message) => {
          if (!message || finished) return message ? undefined : finish();
          seen.push(message);
          if (take(message)) taken++;
          if (seen.length >= count || taken >= enough) finish();
          else arm();
        })
        .then(({ consumerTag }) => {
          tag = consumerTag;
          if (finished) channel.cancel(consumerTag).catch(() => undefined);
          else arm();
        }, reject);
    });
  }

  /** Ready messages of a queue; 0 when it does not exist (this app does not consume the stream). */
  private async readyCount(channel: Channel, queue: string): Promise<number> {
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return 0;
      throw error;
    }
  }

  private idOf(message: ConsumeMessage): string {
    return message.properties.messageId ?? headersOf(message.properties)[HEADERS.eventId] ?? '';
  }

  private toDeadLetter(stream: string, message: ConsumeMessage): DeadLetter {
    return toDeadLetter(this.idOf(message), stream, {
      value: message.content,
      key: null,
      headers: headersOf(message.properties),
      position: {
        topic: topologyNames.rabbitmq.failedQueue(this.group, stream),
        partition: 0,
        offset: String(message.fields.deliveryTag),
      },
    });
  }

  /** Runs admin operations of this instance one after another. */
  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.tail.then(operation, operation);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs `use` on a fresh channel and closes it afterwards, which also hands back whatever it
   * did not acknowledge. A 404 closes a channel in AMQP, hence one channel per operation.
   */
  private async withChannel<T>(
    confirm: boolean,
    use: (channel: Channel) => Promise<T>,
  ): Promise<T> {
    const model = this.connection.current;
    if (!model) throw new BrokerConnectionError('RabbitMQ is not connected');
    const channel: Channel = confirm
      ? await model.createConfirmChannel()
      : await model.createChannel();
    channel.on('error', () => undefined); // surfaced through the failing call instead
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
}
