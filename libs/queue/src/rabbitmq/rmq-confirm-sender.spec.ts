import type { ConfirmChannel, Message } from 'amqplib';
import { EventEmitter } from 'node:events';
import { RmqConfirmSender, UnroutableError } from './rmq-confirm-sender';

/** A confirm channel that records sends; the test plays the broker's returns and confirms. */
class FakeChannel extends EventEmitter {
  readonly sent: Array<{
    queue: string;
    content: Buffer;
    mandatory?: boolean;
    confirm: (err: unknown) => void;
  }> = [];
  closed = false;

  sendToQueue(
    queue: string,
    content: Buffer,
    options: { mandatory?: boolean },
    confirm: (err: unknown) => void,
  ): boolean {
    if (this.closed) throw new Error('Channel closed');
    this.sent.push({ queue, content, mandatory: options.mandatory, confirm });
    return true;
  }

  returnMessage(queue: string, content: Buffer): void {
    this.emit('return', { fields: { routingKey: queue }, content } as unknown as Message);
  }
}

describe('RmqConfirmSender', () => {
  function setup() {
    const channel = new FakeChannel();
    return { channel, sender: new RmqConfirmSender(channel as unknown as ConfirmChannel) };
  }

  it('sends mandatory and resolves on the confirm of a routed message', async () => {
    const { channel, sender } = setup();
    const sent = sender.send('g.s.retry.1s', Buffer.from('a'), {});
    expect(channel.sent[0]).toMatchObject({ queue: 'g.s.retry.1s', mandatory: true });
    channel.sent[0].confirm(null);
    await expect(sent).resolves.toBeUndefined();
  });

  it('rejects with UnroutableError when the message came back before its confirm, matching by queue and bytes', async () => {
    const { channel, sender } = setup();
    const first = sender.send('q', Buffer.from('one'), {});
    const second = sender.send('q', Buffer.from('two'), {});
    const other = sender.send('r', Buffer.from('two'), {});
    channel.returnMessage('q', Buffer.from('two')); // the queue was deleted between the two sends
    for (const s of channel.sent) s.confirm(null);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toBeInstanceOf(UnroutableError);
    await expect(other).resolves.toBeUndefined();
  });

  it('rejects on a nack and when the channel is closed', async () => {
    const { channel, sender } = setup();
    const nacked = sender.send('q', Buffer.from('x'), {});
    channel.sent[0].confirm(new Error('nack'));
    await expect(nacked).rejects.toThrow('nack');
    channel.closed = true;
    await expect(sender.send('q', Buffer.from('y'), {})).rejects.toThrow('Channel closed');
  });
});
