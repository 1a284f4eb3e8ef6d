import { Logger } from '@nestjs/common';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { connect } from 'node:net';
import { TcpProxy, testServices } from '@test/support';
import { createKafkaClient } from '../../src/kafka/kafka-client';
import { KafkaPublisher } from '../../src/kafka/kafka-publisher';
import { KafkaTopology } from '../../src/kafka/kafka-topology';
import { describeQueueContract } from './queue-contract.suite';

describeQueueContract('kafka', async () => {
  const brokers = testServices().kafkaBrokers;
  const kafka = new Kafka({
    clientId: 'contract-raw',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const proxies: TcpProxy[] = [];
  return {
    env: () => ({ BROKER: 'kafka', KAFKA_BROKERS: brokers }),
    publishRaw: async (stream, key, value, headers = {}) => {
      await producer.send({ topic: stream, messages: [{ key, value, headers }], acks: -1 });
    },
    cuttablePublisher: async () => {
      const [host, port] = brokers.split(',')[0].split(':');
      const proxy = await TcpProxy.start(host, Number(port));
      proxies.push(proxy);
      // Every connection (the advertised broker address included) goes through the proxy.
      const client = createKafkaClient({
        brokers: [proxy.address],
        clientId: 'contract-cuttable',
        logger: new Logger('contract-cuttable'),
        socketFactory: ({ onConnect }) => {
          const socket = connect({ host: '127.0.0.1', port: proxy.port }, onConnect);
          socket.setKeepAlive(true, 1_000);
          return socket;
        },
      });
      const publisher = new KafkaPublisher(
        client,
        new KafkaTopology(client, new Logger('contract-cuttable')),
        {
          timeoutMs: 8_000,
          logger: new Logger('contract-cuttable'),
        },
      );
      return { publisher, cut: () => proxy.cut(), close: () => publisher.close() };
    },
    close: async () => {
      await producer.disconnect();
      for (const proxy of proxies) await proxy.close();
    },
  };
});
