import amqp from 'amqplib';
import { DEFAULT_RETRY_POLICY, retryTiers, topologyNames } from '@lib/retry';

/** The aggregator's consumer group (its app name) and the streams it consumes (docs/contract.md). */
export const AGGREGATOR_GROUP = 'aggregator';
export const AGGREGATOR_STREAMS = ['ticks', 'orders', 'delivery-results'] as const;

/**
 * Deletes the durable RabbitMQ queues of an aggregator group (default: the app's name) (main, retry tiers of the default policy,
 * failed) for every stream it consumes. Their names are fixed by the contract, so left on the
 * shared broker they would collect every later event of those streams.
 */
export async function deleteAggregatorQueues(
  url: string,
  group: string = AGGREGATOR_GROUP,
): Promise<void> {
  const names = topologyNames.rabbitmq;
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const stream of AGGREGATOR_STREAMS) {
      const queues = [
        names.queue(group, stream),
        ...retryTiers(DEFAULT_RETRY_POLICY).map((delay) => names.retryQueue(group, stream, delay)),
        names.failedQueue(group, stream),
      ];
      // Deleting a queue that does not exist succeeds.
      for (const queue of queues) await channel.deleteQueue(queue);
    }
    await channel.close();
  } finally {
    await connection.close();
  }
}
