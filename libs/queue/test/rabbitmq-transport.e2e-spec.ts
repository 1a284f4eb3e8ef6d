import { HEADERS } from '@lib/contracts';
import { TcpProxy, uniqueName, waitFor } from '@test/support';
import type { EventMetadata, IncomingEvent } from '../src/incoming-event';
import { BrokerConnectionError } from '../src/queue.errors';
import { RmqEventPublisher } from '../src/rabbitmq/rmq-publisher';
import type { RmqQueueServer } from '../src/rabbitmq/server-rmq';
import { deferred, quietLogger, RabbitProbe, startServer } from './rabbitmq-test-helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RmqQueueServer (real broker)', () => {
  let probe: RabbitProbe;
  let publisher: RmqEventPublisher;
  let stream: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    probe = await RabbitProbe.open();
    publisher = new RmqEventPublisher({
      url: probe.urlVia(probe.target.port),
      appName: 'transport-test',
      logger: quietLogger,
    });
    await publisher.connect();
  });

  beforeEach(() => {
    stream = uniqueName('rmq');
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await publisher.close();
    await probe.close();
  });

  /** Starts a server and registers its close and the deletion of its queues. */
  async function server(
    url: string,
    group: string,
    handlers: Parameters<typeof startServer>[2],
    maxInFlight?: number,
  ): Promise<RmqQueueServer> {
    cleanups.push(() => probe.deleteTopology(group, stream, [300]));
    const s = await startServer(url, group, handlers, maxInFlight);
    cleanups.push(() => s.close());
    return s;
  }

  const events = (n: number, key = (i: number) => `k${i % 5}`) =>
    Array.from({ length: n }, (_, i) => ({
      stream,
      key: key(i),
      value: { eventId: `${stream}-${i}`, i },
    }));

  it('retries through the TTL queue back to this group only, then dead-letters with every contract header', async () => {
    const calls: Array<{ event: IncomingEvent; meta: EventMetadata; at: number }> = [];
    const other: IncomingEvent[] = [];
    await server(probe.urlVia(probe.target.port), 'ga', {
      [stream]: {
        handle: (event, context) => {
          const meta = context.metadataOf(event as IncomingEvent);
          calls.push({ event: event as IncomingEvent, meta, at: Date.now() });
          throw new TypeError('downstream refused');
        },
        options: { retry: { delaysMs: [300], maxAttempts: 2 } },
      },
    });
    await server(probe.urlVia(probe.target.port), 'gb', {
      [stream]: { handle: (event) => void other.push(event as IncomingEvent) },
    });

    const [message] = events(1, () => 'key-1');
    await publisher.publish([message]);
    await waitFor(() => calls.length === 2, { description: 'first attempt and one retry' });
    const [first, retry] = calls;
    expect(retry.at - first.at).toBeGreaterThanOrEqual(290);
    expect(retry.event.eventId).toBe(`${stream}-0`);
    expect(retry.meta).toMatchObject({
      attempt: 1,
      key: 'key-1',
      source: first.event.position,
      position: retry.event.position,
    });
    expect(Number(retry.meta.headers[HEADERS.dueAt])).toBeLessThanOrEqual(retry.at);
    expect(first.event.position).toMatchObject({ topic: stream, partition: 0 });

    const [letter] = await probe.take(`ga.${stream}.failed`, 1);
    const headers = letter.properties.headers as Record<string, unknown>;
    // The intake headers (trace context, request id) come from ingest; this test publishes without them.
    const intake: string[] = [
      HEADERS.traceparent,
      HEADERS.tracestate,
      HEADERS.requestId,
      HEADERS.dueAt,
    ];
    for (const name of Object.values(HEADERS).filter((h) => !intake.includes(h)))
      expect(typeof headers[name]).toBe('string');
    expect(headers).not.toHaveProperty(HEADERS.dueAt);
    expect(headers).not.toHaveProperty('x-death');
    expect(headers).toMatchObject({
      [HEADERS.eventId]: `${stream}-0`,
      [HEADERS.eventType]: stream,
      [HEADERS.attempt]: '2',
      [HEADERS.originalStream]: stream,
      [HEADERS.originalPartition]: '0',
      [HEADERS.originalOffset]: first.event.position.offset,
      [HEADERS.errorClass]: 'TypeError',
      [HEADERS.errorMessage]: 'downstream refused',
      'x-key': 'key-1',
    });
    expect(headers[HEADERS.errorStack]).toContain('downstream refused');
    expect(Date.parse(headers[HEADERS.firstFailedAt] as string)).toBeLessThan(
      Date.parse(headers[HEADERS.lastFailedAt] as string),
    );
    expect(JSON.parse(letter.content.toString())).toEqual(message.value);
    expect(letter.properties.messageId).toMatch(/^[0-9a-f-]{36}$/);

    await sleep(500); // the other group got the event once, and no retry of group ga
    expect(other.map((e) => e.eventId)).toEqual([`${stream}-0`]);
    expect(calls).toHaveLength(2);
    for (const queue of [`ga.${stream}`, `ga.${stream}.retry.300ms`, `gb.${stream}`])
      expect(await probe.count(queue)).toBe(0);
  });

  it('declares a deleted retry queue again instead of losing the retry', async () => {
    const calls: EventMetadata[] = [];
    await server(probe.urlVia(probe.target.port), 'g', {
      [stream]: {
        handle: (event, context) => {
          const meta = context.metadataOf(event as IncomingEvent);
          calls.push(meta);
          if (meta.attempt === 0) throw new Error('first attempt fails');
        },
        options: { retry: { delaysMs: [300] } },
      },
    });
    await probe.withChannel((c) => c.deleteQueue(`g.${stream}.retry.300ms`)); // an operator's mistake
    await publisher.publish(events(1));
    await waitFor(() => calls.length === 2, {
      description: 'the retry after the queue was declared again',
    });
    expect(calls.map((c) => c.attempt)).toEqual([0, 1]);
    expect(await probe.count(`g.${stream}.retry.300ms`)).toBe(0);
  });

  it('acks only after the handler resolved, keeps at most the prefetch in flight, and drains on close', async () => {
    const gate = deferred();
    const seen: string[] = [];
    const s = await server(
      probe.urlVia(probe.target.port),
      'g',
      {
        [stream]: {
          handle: async (event) => {
            seen.push((event as IncomingEvent).eventId);
            await gate.promise; // like a handler waiting for its work queue's flush
          },
          options: { concurrency: 20 },
        },
      },
      10,
    );
    cleanups.push(async () => gate.resolve()); // a failed assertion must not leave close() waiting
    await publisher.publish(events(30, (i) => `k${i}`));
    await waitFor(() => seen.length === 10, { description: 'a full prefetch window' });
    await sleep(300);
    expect(seen).toHaveLength(10);
    expect(s.control.status()).toEqual([{ stream, paused: false, pausedBy: [], inFlight: 10 }]);
    expect(await probe.count(`g.${stream}`)).toBe(20);

    const closing = s.close();
    await sleep(100);
    gate.resolve();
    await closing;
    await s.close(); // idempotent
    expect(s.control.isHealthy()).toBe(false);
    // The ten that finished were acked before the channel closed; the others were never taken.
    expect(await probe.count(`g.${stream}`)).toBe(20);
    expect(seen).toHaveLength(10);
  });

  it('pauses by cancelling the consumer and resumes', async () => {
    const seen: string[] = [];
    const s = await server(probe.urlVia(probe.target.port), 'g', {
      [stream]: { handle: (e) => void seen.push((e as IncomingEvent).eventId) },
    });
    await publisher.publish(events(5));
    await waitFor(() => seen.length === 5);
    s.control.pause(stream, 'operator');
    await sleep(50);
    await publisher.publish(events(10).slice(5));
    await sleep(300);
    expect(seen).toHaveLength(5);
    expect(s.control.status()[0]).toMatchObject({ paused: true, pausedBy: ['operator'] });
    // Backpressure letting go of the stream leaves the operator's pause in place.
    s.control.pause(stream, 'backpressure');
    s.control.resume(stream, 'backpressure');
    await sleep(300);
    expect(seen).toHaveLength(5);
    expect(s.control.isHealthy()).toBe(true);
    expect(await probe.count(`g.${stream}`)).toBe(5);
    s.control.resume(stream, 'operator');
    await waitFor(() => seen.length === 10, { description: 'the rest after resume' });
    expect(seen).toEqual(events(10).map((e) => e.value.eventId));
  });

  it('loses nothing when its connection drops mid-stream: reports unhealthy, reconnects, gets the unacked again', async () => {
    const proxy = await TcpProxy.start(probe.target.host, probe.target.port);
    cleanups.push(() => proxy.close());
    const seen = new Set<string>();
    let calls = 0;
    const s = await server(
      probe.urlVia(proxy.port),
      'g',
      {
        [stream]: {
          handle: async (e) => {
            calls++;
            await sleep(2);
            seen.add((e as IncomingEvent).eventId);
          },
          options: { concurrency: 4 },
        },
      },
      20,
    );
    const all = events(300);
    await publisher.publish(all);
    await waitFor(() => seen.size >= 40, { description: 'some events before the cut' });
    proxy.cut();
    await waitFor(() => !s.control.isHealthy(), { description: 'unhealthy after the cut' });
    proxy.restore();
    await waitFor(() => s.control.isHealthy(), {
      timeoutMs: 15_000,
      description: 'healthy after reconnecting',
    });
    await waitFor(() => seen.size === all.length, {
      timeoutMs: 20_000,
      description: 'every event after the reconnect',
    });
    await s.close();
    expect(await probe.count(`g.${stream}`)).toBe(0);
    expect(calls).toBeGreaterThanOrEqual(all.length); // redeliveries are allowed, losses are not
  });

  it('hands a crashed consumer’s unacked deliveries to the next instance', async () => {
    const proxy = await TcpProxy.start(probe.target.host, probe.target.port);
    cleanups.push(() => proxy.close());
    const seen = new Set<string>();
    const stuck = deferred();
    const first = await server(
      probe.urlVia(proxy.port),
      'g',
      { [stream]: { handle: () => stuck.promise } },
      10,
    );
    const all = events(50);
    await publisher.publish(all);
    await waitFor(() => first.control.status()[0].inFlight === 10, {
      description: 'the first instance holds ten',
    });
    await proxy.close(); // the instance "crashes": its connection is gone, nothing was acked
    const second = await server(probe.urlVia(probe.target.port), 'g', {
      [stream]: { handle: (e) => void seen.add((e as IncomingEvent).eventId) },
    });
    await waitFor(() => seen.size === all.length, {
      description: 'all fifty on the second instance',
    });
    await second.close();
    stuck.resolve();
    await first.close();
    expect(await probe.count(`g.${stream}`)).toBe(0);
  });

  it('declares its queue again and goes on consuming when RabbitMQ cancels the consumer (queue deleted)', async () => {
    const seen: string[] = [];
    const s = await server(probe.urlVia(probe.target.port), 'g', {
      [stream]: { handle: (e) => void seen.push((e as IncomingEvent).eventId) },
    });
    await probe.withChannel((c) => c.deleteQueue(`g.${stream}`));
    await waitFor(async () => (await probe.count(`g.${stream}`)) === 0, {
      timeoutMs: 5_000,
      description: 'the queue declared again',
    });
    await sleep(200); // the consumer starts right after the declaration
    await publisher.publish(events(3));
    await waitFor(() => seen.length === 3, { description: 'events after the queue came back' });
    expect(s.control.isHealthy()).toBe(true);
  });

  it('reports a topology that clashes with what exists through listen, as a BrokerConnectionError', async () => {
    cleanups.push(() => probe.deleteTopology('g', stream, [300]));
    await probe.withChannel((c) =>
      c.assertQueue(`g.${stream}.retry.300ms`, {
        durable: true,
        arguments: { 'x-message-ttl': 5 },
      }),
    );
    const error = await startServer(probe.urlVia(probe.target.port), 'g', {
      [stream]: { handle: () => undefined, options: { retry: { delaysMs: [300] } } },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerConnectionError);
    expect((error as Error).message).toMatch(/PRECONDITION_FAILED/);
  });
});
