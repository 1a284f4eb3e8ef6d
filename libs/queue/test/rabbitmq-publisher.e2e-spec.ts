import { TcpProxy, uniqueName, waitFor } from '@test/support';
import { PublishError } from '../src/queue.errors';
import { RmqEventPublisher } from '../src/rabbitmq/rmq-publisher';
import { assertStreamTopology, rmqStreamTopology } from '../src/rabbitmq/rmq-topology';
import { quietLogger, RabbitProbe } from './rabbitmq-test-helpers';

describe('RmqEventPublisher (real broker)', () => {
  let probe: RabbitProbe;
  let stream: string;
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    probe = await RabbitProbe.open();
  });

  beforeEach(async () => {
    stream = uniqueName('pub');
    await probe.withChannel(async (c) => {
      await assertStreamTopology(c, rmqStreamTopology('ga', stream, []));
      await assertStreamTopology(c, rmqStreamTopology('gb', stream, []));
    });
    closers.push(
      () => probe.deleteTopology('ga', stream),
      () => probe.deleteTopology('gb', stream),
    );
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  afterAll(async () => {
    await probe.close();
  });

  function publisher(url: string, confirmTimeoutMs = 5_000): RmqEventPublisher {
    const p = new RmqEventPublisher({
      url,
      appName: 'test-publisher',
      confirmTimeoutMs,
      logger: quietLogger,
    });
    closers.push(() => p.close());
    return p;
  }

  it('resolves after the broker confirmed a batch, delivering each event to every group with its headers and key', async () => {
    const p = publisher(new URL(probe.urlVia(probe.target.port)).toString());
    await p.connect();
    expect(p.isConnected()).toBe(true);
    const long = 'é'.repeat(200); // 400 bytes in UTF-8: too long for a routing key
    await p.publish([
      { stream, key: 'k1', value: { eventId: 'e1', n: 1 } },
      {
        stream,
        key: long,
        value: { eventId: 'e2', n: 2 },
        headers: { 'x-event-type': 'custom', trace: 't' },
      },
    ]);
    expect(await probe.count(`ga.${stream}`)).toBe(2);
    const [first, second] = await probe.take(`gb.${stream}`, 2);
    expect(JSON.parse(first.content.toString())).toEqual({ eventId: 'e1', n: 1 });
    expect(first.fields.routingKey).toBe('k1');
    expect(first.properties).toMatchObject({
      deliveryMode: 2,
      contentType: 'application/json',
      messageId: 'e1',
    });
    expect(first.properties.headers).toEqual({
      'x-event-id': 'e1',
      'x-event-type': stream,
      'x-key': 'k1',
    });
    expect(second.fields.routingKey).toBe('');
    expect(second.properties.headers).toEqual({
      'x-event-id': 'e2',
      'x-event-type': 'custom',
      'x-key': long,
      trace: 't',
    });
  });

  it('pipelines a large batch (one confirm round trip, not one per message)', async () => {
    const p = publisher(probe.urlVia(probe.target.port));
    const proxy = await TcpProxy.start(probe.target.host, probe.target.port);
    closers.push(() => proxy.close());
    const slow = publisher(probe.urlVia(proxy.port));
    await slow.connect();
    proxy.delay(20); // 40 ms round trip: 500 sequential confirms would take 20 s
    const batch = Array.from({ length: 500 }, (_, i) => ({
      stream,
      key: `k${i % 7}`,
      value: { eventId: `e${i}` },
    }));
    const started = Date.now();
    await slow.publish(batch);
    expect(Date.now() - started).toBeLessThan(3_000);
    await p.publish(batch);
    expect(await probe.count(`ga.${stream}`)).toBe(1_000);
  });

  it('rejects with PublishError while the broker is unreachable, and publishes again once it is back', async () => {
    const proxy = await TcpProxy.start(probe.target.host, probe.target.port);
    closers.push(() => proxy.close());
    const p = publisher(probe.urlVia(proxy.port));
    await p.connect();
    await p.publish([{ stream, key: 'k', value: { eventId: 'before' } }]);

    proxy.cut();
    await waitFor(() => !p.isConnected(), { description: 'publisher notices the cut' });
    const started = Date.now();
    await expect(
      p.publish([{ stream, key: 'k', value: { eventId: 'during' } }]),
    ).rejects.toBeInstanceOf(PublishError);
    expect(Date.now() - started).toBeLessThan(1_000);

    proxy.restore();
    await waitFor(() => p.isConnected(), {
      timeoutMs: 15_000,
      description: 'publisher reconnects',
    });
    await p.publish([{ stream, key: 'k', value: { eventId: 'after' } }]);
    const ids = (await probe.take(`ga.${stream}`, 2)).map((m) => m.properties.messageId);
    expect(ids).toEqual(['before', 'after']);
  });

  it('rejects with PublishError when confirms do not come within the timeout (hung broker)', async () => {
    const proxy = await TcpProxy.start(probe.target.host, probe.target.port);
    closers.push(() => proxy.close());
    const p = publisher(probe.urlVia(proxy.port), 500);
    await p.connect();
    proxy.hang();
    const started = Date.now();
    const error = await p
      .publish([{ stream, key: 'k', value: { eventId: 'hung' } }])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishError);
    expect((error as PublishError).retriable).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('closes idempotently and refuses to publish afterwards', async () => {
    const p = publisher(probe.urlVia(probe.target.port));
    await p.connect();
    await Promise.all([p.close(), p.close()]);
    expect(p.isConnected()).toBe(false);
    await expect(
      p.publish([{ stream, key: 'k', value: { eventId: 'late' } }]),
    ).rejects.toBeInstanceOf(PublishError);
  });
});
