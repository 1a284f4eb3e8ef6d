import type { LoggerService } from '@nestjs/common';
import { EventPublisher, PublishError, QueueError, type OutgoingMessage } from '@lib/queue';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSpool } from './file-spool';
import type { FileSpoolOptions } from './file-spool.options';
import { SpoolFullError } from './spool.errors';
import { SpoolingPublisher, type SpoolingPublisherOptions } from './spooling-publisher';

/** A test double of our EventPublisher interface: succeeds, fails, or answers slowly on demand. */
class FakeBroker extends EventPublisher {
  readonly received: OutgoingMessage[] = [];
  failing = false;
  /** Fails only after `delayMs`, like a broker that went away while the request was under way. */
  failLate = false;
  delayMs = 0;
  calls = 0;
  closed = false;
  failWith: () => Error = () => new PublishError('broker unreachable');

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.calls++;
    if (this.failing) throw this.failWith();
    const failLate = this.failLate;
    if (this.delayMs > 0) await sleep(this.delayMs);
    if (failLate) throw this.failWith();
    this.received.push(...messages);
  }

  /** What the connection reports; a broker can fail publishes while it still looks connected. */
  connected = true;

  isConnected(): boolean {
    return this.connected;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  ids(): number[] {
    return this.received.map((m) => (m.value as { n: number }).n);
  }
}

const quiet: LoggerService = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

const message = (n: number): OutgoingMessage => ({
  stream: 'page-views',
  key: `page-${n % 7}`,
  value: { n, pageId: `page-${n % 7}` },
  headers: { 'x-event-id': `e-${n}`, 'x-event-type': 'page-views' },
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('SpoolingPublisher', () => {
  let dir: string;
  const publishers: SpoolingPublisher[] = [];

  const options: SpoolingPublisherOptions = {
    name: 'test',
    logger: quiet,
    breaker: { timeoutMs: 1_000, resetMs: 150, errorPercent: 50, volumeThreshold: 3 },
    drain: { batchSize: 16, minBackoffMs: 10, maxBackoffMs: 50 },
  };

  async function openPublisher(
    inner: EventPublisher,
    overrides: Partial<SpoolingPublisherOptions> = {},
    spool: Partial<FileSpoolOptions> = {},
  ): Promise<SpoolingPublisher> {
    const publisher = await SpoolingPublisher.open(
      inner,
      { directory: dir, segmentBytes: 4096, ...spool },
      { ...options, ...overrides },
    );
    publishers.push(publisher);
    return publisher;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spooling-publisher-'));
  });

  afterEach(async () => {
    await Promise.all(publishers.splice(0).map((p) => p.close()));
    await rm(dir, { recursive: true, force: true });
  });

  it('publishes straight to the broker while it is healthy', async () => {
    const broker = new FakeBroker();
    const publisher = await openPublisher(broker);
    await publisher.publish(range(0, 10).map(message));
    expect(broker.ids()).toEqual(range(0, 10));
    expect(publisher.stats()).toEqual(
      expect.objectContaining({
        breaker: 'closed',
        depth: 0,
        accepted: 10,
        published: 10,
        spooled: 0,
      }),
    );
  });

  it('spools when publishing fails, opens the breaker, and replays in the original order once the broker is back', async () => {
    const broker = new FakeBroker();
    broker.failing = true;
    const publisher = await openPublisher(broker);

    for (let batch = 0; batch < 20; batch++) {
      await expect(
        publisher.publish(range(batch * 5, batch * 5 + 5).map(message)),
      ).resolves.toBeUndefined();
    }
    await waitFor(() => publisher.stats().breaker === 'open', 'the breaker to open');
    expect(broker.received).toHaveLength(0);
    expect(publisher.stats()).toEqual(
      expect.objectContaining({
        depth: 100,
        accepted: 100,
        published: 0,
        spooled: 100,
        rejected: 0,
      }),
    );
    // While open, publishing is not even attempted.
    const callsWhileOpen = broker.calls;
    await publisher.publish([message(100)]);
    expect(broker.calls).toBe(callsWhileOpen);

    broker.failing = false;
    await waitFor(() => publisher.stats().depth === 0, 'the spool to drain');
    expect(broker.ids()).toEqual(range(0, 101));
    expect(broker.received[0]).toEqual(message(0)); // stream, key, value and headers survive
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ breaker: 'closed', replayed: 101, spooled: 101 }),
    );

    // Drained: back to the direct path.
    await publisher.publish([message(101)]);
    expect(publisher.stats().published).toBe(1);
    expect(broker.ids()).toEqual(range(0, 102));
  });

  it('never reorders a sequential producer across an outage and the recovery', async () => {
    const broker = new FakeBroker();
    const publisher = await openPublisher(broker);
    for (let n = 0; n < 400; n++) {
      if (n === 50) broker.failing = true;
      if (n === 200) broker.failing = false;
      await publisher.publish([message(n)]);
      if (n % 25 === 0) await sleep(5); // let the drainer and the breaker timers interleave
    }
    await waitFor(() => publisher.stats().depth === 0, 'the spool to drain');
    expect(broker.ids()).toEqual(range(0, 400));
    const stats = publisher.stats();
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats.published + stats.spooled).toBe(400);
    expect(stats.replayed).toBe(stats.spooled);
  });

  it('counts a publish slower than the breaker timeout as a failure and spools its events', async () => {
    const broker = new FakeBroker();
    broker.delayMs = 400;
    const publisher = await openPublisher(broker, {
      breaker: { timeoutMs: 100, resetMs: 60_000, volumeThreshold: 1, errorPercent: 50 },
    });
    const started = Date.now();
    await publisher.publish(range(0, 3).map(message));
    expect(Date.now() - started).toBeLessThan(350);
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ breaker: 'open', spooled: 3, published: 0, depth: 3 }),
    );
  });

  it('spools at once, without trying the broker, while the connection is known down', async () => {
    const broker = new FakeBroker();
    broker.connected = false;
    const publisher = await openPublisher(broker, { drain: { minBackoffMs: 10_000 } });
    const started = Date.now();
    await publisher.publish(range(0, 5).map(message));
    expect(Date.now() - started).toBeLessThan(100);
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ published: 0, spooled: 5, timedOut: 0 }),
    );

    broker.connected = true;
    await waitFor(() => publisher.stats().depth === 0, 'the replay');
    expect(broker.ids()).toEqual(range(0, 5));
  });

  it('answers within the ack bound when the broker is slow, and a late ack keeps the spooled copies from being replayed', async () => {
    const broker = new FakeBroker();
    broker.delayMs = 300;
    const publisher = await openPublisher(broker, { ackTimeoutMs: 40 });
    const latencies: number[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const started = Date.now();
      await publisher.publish(range(batch * 3, batch * 3 + 3).map(message));
      latencies.push(Date.now() - started);
    }
    // The first waits out the bound; the rest queue behind it in the spool.
    expect(Math.max(...latencies)).toBeLessThan(250);
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ published: 0, timedOut: 3, spooled: 18 }),
    );

    broker.delayMs = 0;
    await waitFor(() => publisher.stats().depth === 0, 'the spool to drain');
    // Each event once, in order: the late-acked batch first, then the replay without it.
    expect(broker.ids()).toEqual(range(0, 18));
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ acknowledgedLate: 3, replayed: 15 }),
    );
  });

  it('replays the spooled copies of a publish that outlived the bound and then failed', async () => {
    const broker = new FakeBroker();
    broker.delayMs = 200;
    broker.failLate = true;
    const publisher = await openPublisher(broker, { ackTimeoutMs: 30 });
    await publisher.publish(range(0, 4).map(message));
    broker.failLate = false;
    broker.delayMs = 0;
    await waitFor(() => publisher.stats().depth === 0, 'the spool to drain');
    expect(broker.ids()).toEqual(range(0, 4));
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ timedOut: 4, acknowledgedLate: 0, replayed: 4 }),
    );
  });

  it('rejects with SpoolFullError only when the broker is down and the spool is full (reject policy)', async () => {
    const broker = new FakeBroker();
    broker.failing = true;
    const publisher = await openPublisher(broker, {}, { maxBytes: 2048, fullPolicy: 'reject' });
    let error: unknown;
    let accepted = 0;
    for (let n = 0; n < 100 && !error; n++) {
      await publisher.publish([message(n)]).then(
        () => accepted++,
        (e: unknown) => (error = e),
      );
    }
    expect(error).toBeInstanceOf(SpoolFullError);
    expect((error as SpoolFullError).retriable).toBe(false);
    expect(accepted).toBeGreaterThan(5);
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ full: true, rejected: 1, spooled: accepted }),
    );
  });

  it('hands a non-retriable broker error to the caller without spooling or opening the breaker', async () => {
    const broker = new FakeBroker();
    broker.failing = true;
    broker.failWith = () => new QueueError('message too large', false);
    const publisher = await openPublisher(broker, { breaker: { volumeThreshold: 1 } });
    for (let i = 0; i < 3; i++)
      await expect(publisher.publish([message(i)])).rejects.toThrow('message too large');
    expect(publisher.stats()).toEqual(
      expect.objectContaining({ breaker: 'closed', depth: 0, rejected: 3 }),
    );
  });

  it('backs off between failed replays while the breaker stays closed', async () => {
    const broker = new FakeBroker();
    broker.failing = true;
    const publisher = await openPublisher(broker, {
      breaker: { volumeThreshold: 1_000_000 }, // never opens: only the backoff paces the drainer
      drain: { minBackoffMs: 40, maxBackoffMs: 1_000 },
    });
    await publisher.publish([message(0)]);
    await sleep(500);
    // Direct attempt + replays after 0, 40, 80, 160 ms (+ 320 ms): a handful, not a busy loop.
    expect(broker.calls).toBeGreaterThanOrEqual(4);
    expect(broker.calls).toBeLessThanOrEqual(7);
    expect(publisher.stats()).toEqual(expect.objectContaining({ breaker: 'closed', depth: 1 }));

    broker.failing = false;
    await waitFor(() => publisher.stats().depth === 0, 'the replay after the backoff');
    expect(broker.ids()).toEqual([0]);
  });

  it('close() leaves unsent events in the spool and a new instance replays them in order', async () => {
    const down = new FakeBroker();
    down.failing = true;
    const first = await openPublisher(down);
    for (let n = 0; n < 30; n++) await first.publish([message(n)]);
    await first.close();
    await first.close(); // idempotent
    expect(down.closed).toBe(false); // not ours to close
    await expect(first.publish([message(99)])).rejects.toThrow(/closed/);

    const up = new FakeBroker();
    const second = await openPublisher(up);
    await waitFor(() => second.stats().depth === 0, 'the spool to drain');
    expect(up.ids()).toEqual(range(0, 30));
  });

  it('close() finishes the batch being replayed and leaves the rest for the next start', async () => {
    const spool = await FileSpool.open<OutgoingMessage>({ directory: dir });
    await spool.append(range(0, 30).map(message));
    await spool.close();

    const slow = new FakeBroker();
    slow.delayMs = 200;
    const first = await openPublisher(slow, { drain: { batchSize: 10 } });
    await waitFor(() => slow.calls === 1, 'the first replay to start');
    await first.close();
    expect(slow.ids()).toEqual(range(0, 10));
    expect(first.stats().depth).toBe(20);

    const fast = new FakeBroker();
    const second = await openPublisher(fast, { closeInner: true });
    await waitFor(() => second.stats().depth === 0, 'the rest to drain');
    expect(fast.ids()).toEqual(range(10, 30));
    await second.close();
    expect(fast.closed).toBe(true);
  });
});
