import type { QueueDriver, QueueDriverFactory } from '../queue-driver';
import { MemoryBroker } from './memory-broker';
import { MemoryDeadLetters } from './memory-dead-letters';
import { MemoryPublisher } from './memory-publisher';
import { MemoryQueueServer } from './server-memory';

/**
 * `BROKER=memory`: the shared in-process broker if the app was given one, else a broker of its own.
 * An OffsetStore is not applied: the memory broker starts empty with the process, so offsets stored
 * by an earlier run point at records that no longer exist.
 */
export const createMemoryDriver: QueueDriverFactory = (context): QueueDriver => {
  const broker = context.memoryBroker ?? new MemoryBroker();
  const transport = new MemoryQueueServer(broker, {
    group: context.group,
    maxInFlight: context.maxInFlight,
    metrics: context.metrics,
  });
  const publisher = new MemoryPublisher(broker);
  return {
    transport,
    publisher,
    deadLetters: new MemoryDeadLetters(broker, context.group),
    async close() {
      await transport.close();
      await publisher.close();
    },
  };
};
