/**
 * The dedicated broker of docker/kafka/kafka-broker.js can be killed and restarted on the same
 * port and data, which is how outage tests take Kafka away from an app.
 */
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaBroker } from '@test/support';
import { startDedicatedKafka, uniqueName } from '@test/support';

describe('dedicated Kafka broker', () => {
  let broker: KafkaBroker;

  beforeAll(async () => {
    broker = await startDedicatedKafka();
  });
  afterAll(() => broker?.stop());

  it('survives kill() and restart() with the same address and its data', async () => {
    const kafka = new Kafka({
      brokers: [broker.brokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
      connectionTimeout: 1000,
    });
    const topic = uniqueName('outage');
    const before = new Kafka({ brokers: [broker.brokers], logLevel: logLevel.NOTHING }).producer();
    await before.connect();
    await before.send({ topic, acks: -1, messages: [{ value: 'kept' }] });
    await before.disconnect();

    const pid = broker.pid;
    await broker.kill();
    const admin = kafka.admin();
    await expect(admin.connect()).rejects.toThrow();

    await broker.restart();
    expect(broker.pid).not.toBe(pid);
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
  });
});

describe('a broker start that loses a port', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { lostPortRace } = require('../docker/kafka/kafka-broker.js') as {
    lostPortRace(error: unknown, fixedPort?: number): boolean;
  };
  const bindFailure = (port: number) =>
    new Error(
      `Kafka exited early (1) before it was ready.\n  org.apache.kafka.common.KafkaException: ` +
        `Socket server failed to bind to 127.0.0.1:${port}: Address already in use.`,
    );

  it('is started again on new ports when a picked port was taken, not when the caller fixed it', () => {
    expect(lostPortRace(bindFailure(46245))).toBe(true);
    expect(lostPortRace(bindFailure(46245), 9092)).toBe(true);
    expect(lostPortRace(bindFailure(9092), 9092)).toBe(false);
    expect(lostPortRace(new Error('exited early (1): OutOfMemoryError'))).toBe(false);
    expect(lostPortRace(undefined)).toBe(false);
  });
});
