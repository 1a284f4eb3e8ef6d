/**
 * Proves the test infrastructure: the run's Kafka broker, the shared RabbitMQ and PostgreSQL,
 * throwaway databases, the TCP proxy used for outages, and clear messages for a missing service.
 */
import * as amqp from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import * as net from 'node:net';
import { Client } from 'pg';
import {
  assertPostgresReachable,
  assertRabbitMqReachable,
  createThrowawayDatabase,
  dropDatabase,
  TcpProxy,
  testServices,
  uniqueName,
  waitFor,
} from '@test/support';

/** A port nothing listens on: bound once by us, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('test services', () => {
  const services = testServices();

  it('round-trips a message through the Kafka broker', async () => {
    const kafka = new Kafka({
      brokers: services.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const topic = uniqueName('infra');
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: uniqueName('infra-group'), maxWaitTimeInMs: 100 });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'hello kafka' }] });

      const received: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void received.push(String(message.value)),
      });
      await waitFor(() => received.length > 0, {
        timeoutMs: 30_000,
        description: 'the Kafka message',
      });

      expect(received).toEqual(['hello kafka']);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('round-trips a message through RabbitMQ with publisher confirms', async () => {
    const connection = await amqp.connect(services.rabbitmqUrl);
    const queue = uniqueName('infra');
    try {
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(queue, { durable: false, autoDelete: false });
      channel.sendToQueue(queue, Buffer.from('hello rabbit'), { persistent: true });
      await channel.waitForConfirms();

      const received = await new Promise<string>((resolve) => {
        void channel.consume(queue, (msg) => {
          if (!msg) return;
          channel.ack(msg);
          resolve(msg.content.toString());
        });
      });

      expect(received).toBe('hello rabbit');
      await channel.deleteQueue(queue);
    } finally {
      await connection.close();
    }
  });

  it('creates and drops a throwaway database', async () => {
    const url = await createThrowawayDatabase('infra');
    expect(new URL(url).pathname).toMatch(new RegExp(`^/${services.databasePrefix}_infra_`));
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
    expect(`/${rows[0].db}`).toBe(new URL(url).pathname);
    // Dropping with a session still open must work: WITH (FORCE) ends it.
    client.on('error', () => undefined);
    await dropDatabase(url);
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
  });

  describe('TcpProxy', () => {
    let proxy: TcpProxy;
    const pgTarget = new URL(services.databaseUrl);
    const viaProxy = () => {
      const url = new URL(services.databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(proxy.port);
      return url.toString();
    };

    beforeEach(async () => {
      proxy = await TcpProxy.start(pgTarget.hostname, Number(pgTarget.port || 5432));
    });
    afterEach(() => proxy.close());

    it('forwards PostgreSQL, fails queries while cut and works again after restore', async () => {
      const first = new Client({ connectionString: viaProxy(), connectionTimeoutMillis: 2000 });
      first.on('error', () => undefined);
      await first.connect();
      expect((await first.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);

      proxy.cut();
      await expect(first.query('SELECT 1')).rejects.toThrow();
      const during = new Client({ connectionString: viaProxy(), connectionTimeoutMillis: 2000 });
      during.on('error', () => undefined);
      await expect(during.connect()).rejects.toThrow();

      proxy.restore();
      const second = new Client({ connectionString: viaProxy(), connectionTimeoutMillis: 2000 });
      await second.connect();
      expect((await second.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
      await second.end();
      await first.end().catch(() => undefined);
    });

    it('delays traffic by the configured latency', async () => {
      const client = new Client({ connectionString: viaProxy() });
      await client.connect();
      proxy.delay(150);
      const t0 = Date.now();
      await client.query('SELECT 1');
      // One round trip crosses the proxy twice.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      proxy.delay(0);
      await client.end();
    });

    it('hangs connections so that only client timeouts end them', async () => {
      proxy.hang();
      const client = new Client({ connectionString: viaProxy(), connectionTimeoutMillis: 500 });
      client.on('error', () => undefined);
      await expect(client.connect()).rejects.toThrow(/timeout/i);
      proxy.restore();
      const again = new Client({ connectionString: viaProxy() });
      await again.connect();
      await again.end();
    });
  });

  describe('reachability checks', () => {
    it('names PostgreSQL, the URL and the fix when nothing listens', async () => {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`;
      const t0 = Date.now();
      await expect(assertPostgresReachable(url)).rejects.toThrow(
        new RegExp(
          `PostgreSQL is not reachable at ${url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*TEST_PG_URL`,
        ),
      );
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('names RabbitMQ, hides the password and gives up on a silent server within the timeout', async () => {
      const sockets: net.Socket[] = [];
      const silent = net.createServer((s) => void sockets.push(s)); // accepts, never speaks AMQP
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
      const { port } = silent.address() as net.AddressInfo;
      const t0 = Date.now();
      try {
        const check = assertRabbitMqReachable(`amqp://guest:secret@127.0.0.1:${port}`, 1000);
        await expect(check).rejects.toThrow(
          /RabbitMQ is not reachable at amqp:\/\/guest:\*\*\*@127\.0\.0\.1/,
        );
        await expect(check).rejects.toThrow(/TEST_RABBITMQ_URL/);
        expect(Date.now() - t0).toBeLessThan(5000);
      } finally {
        sockets.forEach((s) => s.destroy());
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });
  });
});
