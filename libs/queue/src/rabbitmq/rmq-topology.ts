import type { Channel } from 'amqplib';
import { topologyNames } from '@lib/retry';

const names = topologyNames.rabbitmq;

/**
 * Every stream exchange is a durable fanout: each consuming app binds its own queue `G.S`, and
 * every group must get every event. The event key travels as the routing key (and a header, see
 * rmq-message.ts) but is not used for routing, so keys of any length and character set are fine.
 */
export const STREAM_EXCHANGE_TYPE = 'fanout';

/**
 * Classic durable queues, on purpose rather than quorum queues:
 * - retry tiers are per-queue TTL plus dead-lettering through the default exchange, the pattern
 *   classic queues have supported unchanged for years (quorum queues gained TTL only in 3.10);
 * - listing dead letters reads `G.S.failed` and lets the messages return unacked; classic queues
 *   put returned messages back at their original position, while on a quorum queue each listing
 *   would count as a delivery attempt (and a `delivery-limit` would eventually drop them);
 * - retries are counted by the app in `x-attempt`, so quorum's delivery-limit would be a second,
 *   unrelated retry counter.
 * The type is declared explicitly so a vhost whose default queue type is quorum still gets these.
 */
export const QUEUE_TYPE = 'classic';

/** One queue to declare: its name and the `x-` arguments that make it what it is. */
export interface RmqQueueSpec {
  readonly name: string;
  readonly arguments: Readonly<Record<string, string | number>>;
}

/** A retry tier: a queue whose messages expire after `delayMs` and dead-letter back to `G.S`. */
export interface RmqRetryQueueSpec extends RmqQueueSpec {
  readonly delayMs: number;
}

/** What group `G` declares to consume stream `S` (docs/contract.md names). */
export interface RmqStreamTopology {
  readonly stream: string;
  readonly group: string;
  readonly exchange: string;
  readonly queue: RmqQueueSpec;
  readonly retryQueues: readonly RmqRetryQueueSpec[];
  readonly failedQueue: RmqQueueSpec;
}

/**
 * The topology of one consumed stream, purely: exchange `S`, queue `G.S` bound to it, one
 * `G.S.retry.<delay>` per distinct delay (TTL, dead-lettered through the default exchange with
 * routing key `G.S`, so a retry returns to this group's queue only), and `G.S.failed`.
 */
export function rmqStreamTopology(
  group: string,
  stream: string,
  retryDelaysMs: readonly number[],
): RmqStreamTopology {
  const queue = names.queue(group, stream);
  const delays = [...new Set(retryDelaysMs)].sort((a, b) => a - b);
  return {
    stream,
    group,
    exchange: names.exchange(stream),
    queue: { name: queue, arguments: { 'x-queue-type': QUEUE_TYPE } },
    retryQueues: delays.map((delayMs) => ({
      name: names.retryQueue(group, stream, delayMs),
      delayMs,
      arguments: {
        'x-queue-type': QUEUE_TYPE,
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
      },
    })),
    failedQueue: {
      name: names.failedQueue(group, stream),
      arguments: { 'x-queue-type': QUEUE_TYPE },
    },
  };
}

/** Declares a stream's exchange; idempotent (a publisher calls it before the first publish). */
export async function assertStreamExchange(channel: Channel, stream: string): Promise<void> {
  await channel.assertExchange(names.exchange(stream), STREAM_EXCHANGE_TYPE, { durable: true });
}

/**
 * Declares the whole topology idempotently. A queue that exists with other arguments (say a
 * changed delay under the same name) makes RabbitMQ close the channel with PRECONDITION_FAILED;
 * the caller reports that as a start-up error rather than silently consuming a wrong topology.
 */
export async function assertStreamTopology(
  channel: Channel,
  topology: RmqStreamTopology,
): Promise<void> {
  await assertStreamExchange(channel, topology.stream);
  const declare = (spec: RmqQueueSpec) =>
    channel.assertQueue(spec.name, { durable: true, arguments: { ...spec.arguments } });
  await declare(topology.queue);
  await channel.bindQueue(topology.queue.name, topology.exchange, '');
  for (const retry of topology.retryQueues) await declare(retry);
  await declare(topology.failedQueue);
}
