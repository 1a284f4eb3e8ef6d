import { RingLogSink, type LogRecord } from '@lib/observability';
import type { EventPublisher, OutgoingMessage } from '@lib/queue';
import { LogShipper } from './log-shipper';

function record(i: number): LogRecord {
  return {
    eventId: `e${i}`,
    service: 'svc',
    kind: 'request',
    level: 'info',
    message: `m${i}`,
    occurredAt: new Date().toISOString(),
  };
}

class FakePublisher {
  readonly batches: OutgoingMessage[][] = [];
  fail = false;
  gate?: Promise<void>;
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.gate) await this.gate;
    if (this.fail) throw new Error('spool closed');
    this.batches.push([...messages]);
  }
  isConnected() {
    return true;
  }
  async close() {}
}

const quiet = { log() {}, warn: jest.fn(), error() {} };

describe('LogShipper', () => {
  it('ships records as app-logs messages keyed by service, with x-event-id/x-event-type and receivedAt', async () => {
    const ring = new RingLogSink(100);
    const publisher = new FakePublisher();
    const shipper = new LogShipper(ring, publisher as unknown as EventPublisher, quiet);
    ring.write(record(1));
    await shipper.flush();
    const [message] = publisher.batches[0];
    expect(message).toEqual({
      stream: 'app-logs',
      key: 'svc',
      value: expect.objectContaining({
        eventId: 'e1',
        message: 'm1',
        receivedAt: expect.any(String),
      }),
      headers: { 'x-event-id': 'e1', 'x-event-type': 'app-logs' },
    });
    expect(ring.size).toBe(0);
    expect(shipper.stats().shipped).toBe(1);
  });

  it('ships in batches of at most batchSize, and early once batchSize records wait', async () => {
    const ring = new RingLogSink(10_000);
    const publisher = new FakePublisher();
    const shipper = new LogShipper(ring, publisher as unknown as EventPublisher, quiet, {
      intervalMs: 60_000,
      batchSize: 50,
      pollMs: 5,
    });
    shipper.start();
    for (let i = 0; i < 120; i++) ring.write(record(i));
    // 120 >= 50: two batches go out long before the (one minute) interval.
    await new Promise((r) => setTimeout(r, 200));
    expect(publisher.batches.map((b) => b.length)).toEqual([50, 50]);
    await shipper.stop(); // the final drain takes the rest
    expect(publisher.batches.map((b) => b.length)).toEqual([50, 50, 20]);
    expect(publisher.batches.flat().map((m) => (m.value as LogRecord).eventId)).toEqual(
      Array.from({ length: 120 }, (_, i) => `e${i}`),
    );
  });

  it('never blocks writers: while a publish hangs the ring overwrites its oldest and counts them', async () => {
    const ring = new RingLogSink(10);
    const publisher = new FakePublisher();
    let release!: () => void;
    publisher.gate = new Promise<void>((r) => (release = r));
    const shipper = new LogShipper(ring, publisher as unknown as EventPublisher, quiet, {
      batchSize: 5,
    });
    for (let i = 0; i < 5; i++) ring.write(record(i));
    const first = shipper.flush();
    for (let i = 5; i < 30; i++) ring.write(record(i)); // synchronous, never waits
    expect(ring.size).toBe(10);
    expect(shipper.stats().ringDropped).toBe(15);
    release();
    await first;
    publisher.gate = undefined;
    await shipper.flush();
    expect(publisher.batches.flat()).toHaveLength(15);
  });

  it('counts records the publisher refuses and keeps going', async () => {
    const ring = new RingLogSink(10);
    const publisher = new FakePublisher();
    publisher.fail = true;
    const shipper = new LogShipper(ring, publisher as unknown as EventPublisher, quiet);
    ring.write(record(1));
    ring.write(record(2));
    await shipper.flush();
    expect(shipper.stats().rejected).toBe(2);
    publisher.fail = false;
    ring.write(record(3));
    await shipper.flush();
    expect(shipper.stats().shipped).toBe(1);
  });
});
