import * as amqp from 'amqplib';
import { TcpProxy, testServices } from '@test/support';
import { RmqEventPublisher } from '../../src/rabbitmq/rmq-publisher';
import { quietLogger, recordDeclarations } from '../rabbitmq-test-helpers';
import { describeQueueContract } from './queue-contract.suite';

// Everything the suite's apps declare (unique names per run) is deleted again at the end.
const declared = recordDeclarations();

describeQueueContract('rabbitmq', async () => {
  const url = testServices().rabbitmqUrl;
  const model = await amqp.connect(url);
  model.on('error', () => undefined);
  const raw = await model.createConfirmChannel();
  const proxies: TcpProxy[] = [];
  return {
    env: () => ({ BROKER: 'rabbitmq', RABBITMQ_URL: url }),
    publishRaw: async (stream, key, value, headers = {}) => {
      raw.publish(stream, key, value, { persistent: true, headers });
      await raw.waitForConfirms();
    },
    cuttablePublisher: async () => {
      const target = new URL(url);
      const proxy = await TcpProxy.start(target.hostname, Number(target.port || 5672));
      proxies.push(proxy);
      const via = new URL(url);
      via.hostname = '127.0.0.1';
      via.port = String(proxy.port);
      const publisher = new RmqEventPublisher({
        url: via.toString(),
        appName: 'contract-cuttable',
        logger: quietLogger,
      });
      await publisher.connect();
      return { publisher, cut: () => proxy.cut(), close: () => publisher.close() };
    },
    close: async () => {
      for (const proxy of proxies) await proxy.close();
      await declared.deleteAll(model);
      await model.close().catch(() => undefined);
    },
  };
});
