import { CoalescingPublisher } from './coalescing-publisher';
import { EventPublisher } from './event-publisher';
import type { OutgoingMessage } from './outgoing-message';

/** A broker publisher whose acknowledgements the test releases by hand. */
class ManualBroker extends EventPublisher {
  readonly calls: OutgoingMessage[][] = [];
  private pending: Array<{ resolve(): void; reject(e: unknown): void }> = [];
  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    this.calls.push([...messages]);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  ack(): void {
    this.pending.shift()!.resolve();
  }
  fail(error: Error): void {
    this.pending.shift()!.reject(error);
  }
  isConnected(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

const msg = (key: string): OutgoingMessage => ({ stream: 's', key, value: { key } });
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescingPublisher', () => {
  it('sends at once when idle and batches what arrives meanwhile into one call', async () => {
    const broker = new ManualBroker();
    const publisher = new CoalescingPublisher(broker);
    const first = publisher.publish([msg('a')]);
    expect(broker.calls).toHaveLength(1);
    const rest = [publisher.publish([msg('b')]), publisher.publish([msg('c'), msg('d')])];
    expect(broker.calls).toHaveLength(1);
    broker.ack();
    await first;
    await flush();
    expect(broker.calls).toHaveLength(2);
    expect(broker.calls[1].map((m) => m.key)).toEqual(['b', 'c', 'd']);
    broker.ack();
    await Promise.all(rest);
  });

  it('rejects every caller of a failed batch and keeps going', async () => {
    const broker = new ManualBroker();
    const publisher = new CoalescingPublisher(broker);
    const first = publisher.publish([msg('a')]);
    const second = publisher.publish([msg('b')]);
    const third = publisher.publish([msg('c')]);
    broker.ack();
    await first;
    await flush();
    broker.fail(new Error('broker down'));
    await expect(second).rejects.toThrow('broker down');
    await expect(third).rejects.toThrow('broker down');
    const fourth = publisher.publish([msg('d')]);
    broker.ack();
    await expect(fourth).resolves.toBeUndefined();
  });

  it('never splits one request and respects the batch cap', async () => {
    const broker = new ManualBroker();
    const publisher = new CoalescingPublisher(broker, 3);
    const first = publisher.publish([msg('x')]);
    const waiting = [
      publisher.publish([msg('a'), msg('b')]),
      publisher.publish([msg('c'), msg('d')]),
    ];
    broker.ack();
    await first;
    await flush();
    expect(broker.calls[1].map((m) => m.key)).toEqual(['a', 'b']);
    broker.ack();
    await flush();
    expect(broker.calls[2].map((m) => m.key)).toEqual(['c', 'd']);
    broker.ack();
    await Promise.all(waiting);
  });
});
