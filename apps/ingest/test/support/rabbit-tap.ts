import * as amqp from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';
import { uniqueName, waitFor } from '@test/support';
import type { ReadBack } from './kafka-events';

/** Unused tap queues disappear after this long even if a test dies before deleting its own. */
const QUEUE_EXPIRES_MS = 10 * 60_000;

/**
 * A test's own queue bound to a stream exchange, consumed straight from RabbitMQ (not through the
 * code under test). Stream exchanges are durable fanouts named after the stream
 * (libs/queue/src/rabbitmq/rmq-topology.ts), shared by everything on the machine, so the tap
 * counts only the eventIds it is asked about. Open it before publishing: RabbitMQ drops what no
 * queue is bound for.
 */
export class RabbitTap {
  private readonly counts = new Map<string, number>();
  /** EventIds seen with an x-event-id header that differs from the payload's. */
  private readonly mismatched = new Set<string>();

  private constructor(
    private readonly model: ChannelModel,
    private readonly channel: Channel,
    /** The tap's queue name. */
    readonly queue: string,
  ) {}

  /** Declares the exchange as the app does, binds a fresh queue to it and starts consuming. */
  static async open(url: string, exchange: string): Promise<RabbitTap> {
    const model = await amqp.connect(url);
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    const queue = uniqueName(`ingest-test.${exchange}`);
    await channel.assertExchange(exchange, 'fanout', { durable: true });
    await channel.assertQueue(queue, {
      durable: false,
      arguments: { 'x-queue-type': 'classic', 'x-expires': QUEUE_EXPIRES_MS },
    });
    await channel.bindQueue(queue, exchange, '');
    const tap = new RabbitTap(model, channel, queue);
    await channel.consume(queue, (message) => message && tap.take(message), { noAck: true });
    return tap;
  }

  /** Waits until every `wanted` eventId has arrived (or `timeoutMs` passed) and reports what did. */
  async readBack(wanted: readonly string[], timeoutMs = 30_000): Promise<ReadBack> {
    await waitFor(() => wanted.every((id) => this.counts.has(id)), {
      timeoutMs,
      intervalMs: 200,
      description: `${wanted.length} events in ${this.queue}`,
    }).catch(() => undefined); // reported through `missing`
    const counts = new Map(
      wanted.filter((id) => this.counts.has(id)).map((id) => [id, this.counts.get(id)!]),
    );
    return {
      counts,
      missing: wanted.filter((id) => !this.counts.has(id)),
      mismatched: wanted.filter((id) => this.mismatched.has(id)).length,
    };
  }

  /** Deletes the queue and closes the connection. */
  async close(): Promise<void> {
    await this.channel.deleteQueue(this.queue).catch(() => undefined);
    await this.model.close().catch(() => undefined);
  }

  private take(message: amqp.ConsumeMessage): void {
    let eventId = '';
    try {
      eventId = String(
        (JSON.parse(message.content.toString()) as { eventId?: unknown }).eventId ?? '',
      );
    } catch {
      return; // someone else's non-JSON message on the shared exchange
    }
    if (String(message.properties.headers?.['x-event-id'] ?? '') !== eventId)
      this.mismatched.add(eventId);
    this.counts.set(eventId, (this.counts.get(eventId) ?? 0) + 1);
  }
}
