import { MemoryBroker } from '@lib/queue';
import { MemoryPublisher } from '../../src/memory/memory-publisher';
import { describeQueueContract } from './queue-contract.suite';

describeQueueContract('memory', async () => {
  const broker = new MemoryBroker();
  return {
    env: () => ({ BROKER: 'memory' }),
    queueOptions: () => ({ memoryBroker: broker }),
    publishRaw: async (stream, key, value, headers = {}) => {
      broker.append(stream, key, value, headers);
    },
    cuttablePublisher: async () => {
      const own = new MemoryBroker();
      return {
        publisher: new MemoryPublisher(own),
        cut: () => own.close(),
        close: async () => undefined,
      };
    },
  };
});
