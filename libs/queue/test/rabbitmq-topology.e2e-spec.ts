import { uniqueName } from '@test/support';
import { assertStreamTopology, rmqStreamTopology } from '../src/rabbitmq/rmq-topology';
import { RabbitProbe } from './rabbitmq-test-helpers';

describe('RabbitMQ topology (real broker)', () => {
  let probe: RabbitProbe;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    probe = await RabbitProbe.open();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    await probe.close();
  });

  it('declares idempotently, with exactly those arguments (a redeclare with others is refused)', async () => {
    const stream = uniqueName('topo');
    const group = 'g1';
    const topology = rmqStreamTopology(group, stream, [300]);
    cleanups.push(() => probe.deleteTopology(group, stream, [300]));

    await probe.withChannel((c) => assertStreamTopology(c, topology));
    await probe.withChannel((c) => assertStreamTopology(c, topology)); // again: no error

    for (const name of [
      `${group}.${stream}`,
      `${group}.${stream}.retry.300ms`,
      `${group}.${stream}.failed`,
    ]) {
      expect(await probe.count(name)).toBe(0);
    }
    // RabbitMQ checks declared arguments for equivalence: the same ones pass, others are refused.
    const retry = topology.retryQueues[0];
    await expect(
      probe.withChannel((c) =>
        c.assertQueue(retry.name, { durable: true, arguments: { ...retry.arguments } }),
      ),
    ).resolves.toMatchObject({ queue: retry.name });
    await expect(
      probe.withChannel((c) =>
        c.assertQueue(retry.name, {
          durable: true,
          arguments: { ...retry.arguments, 'x-message-ttl': 301 },
        }),
      ),
    ).rejects.toThrow(/PRECONDITION_FAILED/);
    await expect(
      probe.withChannel((c) =>
        c.assertQueue(`${group}.${stream}`, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum' },
        }),
      ),
    ).rejects.toThrow(/PRECONDITION_FAILED/);
  });

  it('fans every event out to each group, and a retry tier returns a message to its own group only, after the delay', async () => {
    const stream = uniqueName('topo');
    const [a, b] = [rmqStreamTopology('ga', stream, [400]), rmqStreamTopology('gb', stream, [400])];
    cleanups.push(
      () => probe.deleteTopology('ga', stream, [400]),
      () => probe.deleteTopology('gb', stream, [400]),
    );
    await probe.withChannel(async (c) => {
      await assertStreamTopology(c, a);
      await assertStreamTopology(c, b);
    });

    await probe.withChannel(async (c) => {
      c.publish(stream, 'key-1', Buffer.from('{"n":1}'));
      await new Promise((r) => setTimeout(r, 100));
    });
    expect((await probe.take(a.queue.name, 1))[0].content.toString()).toBe('{"n":1}');
    expect((await probe.take(b.queue.name, 1))[0].fields.routingKey).toBe('key-1');

    const sent = Date.now();
    await probe.sendToQueue(a.retryQueues[0].name, Buffer.from('{"n":2}'), {
      headers: { 'x-attempt': '1' },
    });
    expect(await probe.count(a.queue.name)).toBe(0);
    const [back] = await probe.take(a.queue.name, 1, 5_000);
    expect(Date.now() - sent).toBeGreaterThanOrEqual(350);
    expect(back.content.toString()).toBe('{"n":2}');
    expect(back.properties.headers?.['x-attempt']).toBe('1');
    expect(await probe.count(a.retryQueues[0].name)).toBe(0);
    expect(await probe.count(b.queue.name)).toBe(0);
  });
});
