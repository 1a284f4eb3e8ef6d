import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { EventPublisher, MemoryBroker, QueueContext, type IncomingEvent } from '@lib/queue';
import { uniqueName, waitFor } from '@test/support';
import { startContractApp } from './contract/contract-app';

/** `npm start` runs the apps in one process: what one app publishes, another consumes. */
describe('memory broker shared by the apps of a process', () => {
  it('delivers an event published by one app to the consumer of another', async () => {
    const stream = uniqueName('shared');
    const received: Array<IncomingEvent & { key: string | null }> = [];
    @Controller()
    class Consumer {
      @EventPattern(stream)
      handle(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
        received.push({ ...event, key: context.metadataOf(event).key });
      }
    }
    @Controller()
    class Nothing {}
    const memoryBroker = new MemoryBroker();
    const broker = {
      env: () => ({ BROKER: 'memory' }),
      queueOptions: () => ({ memoryBroker }),
      publishRaw: async () => undefined,
      cuttablePublisher: async () => {
        throw new Error('not used');
      },
    };
    const producer = await startContractApp(broker, uniqueName('ingest'), Nothing);
    const consumer = await startContractApp(broker, uniqueName('pv-counter'), Consumer);
    const alone = await startContractApp(
      { ...broker, queueOptions: () => ({}) },
      uniqueName('alone'),
      Consumer,
    );
    try {
      await producer.app
        .get(EventPublisher)
        .publish([{ stream, key: 'p1', value: { eventId: 'e1', pageId: 'p1' } }]);
      await waitFor(() => received.length === 1, { description: 'the event in the other app' });
      expect(received[0]).toMatchObject({
        stream,
        key: 'p1',
        eventId: 'e1',
        payload: { pageId: 'p1' },
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(received).toHaveLength(1); // the app with a broker of its own saw nothing
    } finally {
      await Promise.all([producer.close(), consumer.close(), alone.close()]);
    }
  });
});
