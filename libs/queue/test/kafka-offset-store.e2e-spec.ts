import { Controller, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { createHttpApp, PlatformModule } from '@lib/platform';
import {
  connectQueueConsumers,
  OffsetStore,
  OffsetStoreRegistry,
  queueConfig,
  QueueModule,
  type IncomingEvent,
  type StoredOffset,
} from '@lib/queue';
import { testServices, uniqueName, waitFor } from '@test/support';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/** Seeks on assignment: the Kafka transport starts each partition at the OffsetStore's offset. */
describe('Kafka transport with an OffsetStore', () => {
  const stream = uniqueName('offset-store');
  const group = uniqueName('offset-store-app');
  const received: IncomingEvent[] = [];
  const loads: Array<[string, string]> = [];

  @Injectable()
  class FixedOffsetStore extends OffsetStore {
    async load(g: string, topic: string): Promise<StoredOffset[]> {
      loads.push([g, topic]);
      return [{ partition: 0, nextOffset: '6' }];
    }

    async save(): Promise<void> {
      throw new Error('not used');
    }
  }

  @Controller()
  class Handlers {
    @EventPattern(stream)
    handle(event: IncomingEvent) {
      received.push(event);
    }
  }

  @Module({ controllers: [Handlers], providers: [FixedOffsetStore] })
  class FeatureModule implements OnModuleInit {
    constructor(
      private readonly offsetStores: OffsetStoreRegistry,
      private readonly store: FixedOffsetStore,
    ) {}

    onModuleInit(): void {
      this.offsetStores.register(this.store); // as WorkQueueModule registers its PgOffsetStore
    }
  }

  @Module({})
  class RootModule {}

  it('skips what the store already holds and reads the rest', async () => {
    const { kafkaBrokers } = testServices();
    const kafka = new Kafka({
      clientId: 'offset-store-test',
      brokers: kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: stream, numPartitions: 2 }],
      waitForLeaders: true,
    });
    await admin.fetchTopicOffsets(stream);
    await admin.disconnect();
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: true,
    });
    await producer.connect();
    const message = (partition: number, n: number) => ({
      partition,
      key: `k${partition}`,
      value: JSON.stringify({ eventId: `p${partition}-${n}`, n }),
    });
    await producer.send({
      topic: stream,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, n) => message(0, n)),
    });
    await producer.send({
      topic: stream,
      acks: -1,
      messages: Array.from({ length: 3 }, (_, n) => message(1, n)),
    });
    await producer.disconnect();

    const created = await createHttpApp({
      name: group,
      defaultPort: 20_000 + Math.floor(Math.random() * 20_000),
      env: {
        BROKER: 'kafka',
        KAFKA_BROKERS: kafkaBrokers,
        LOG_LEVEL: 'error',
        SHUTDOWN_GRACE_MS: '0',
      },
      module: (env) => ({
        module: RootModule,
        imports: [PlatformModule.forRoot(group, env), QueueModule.forRoot({}), FeatureModule],
      }),
      configs: [queueConfig],
      beforeListen: connectQueueConsumers,
    });
    try {
      await created.listen();
      await waitFor(() => received.length >= 7, { timeoutMs: 30_000, description: '7 events' });
      await new Promise((r) => setTimeout(r, 500));
      expect(received.map((e) => e.eventId).sort()).toEqual([
        'p0-6',
        'p0-7',
        'p0-8',
        'p0-9',
        'p1-0',
        'p1-1',
        'p1-2',
      ]);
      expect(loads).toContainEqual([group, stream]);
    } finally {
      await created.app.close();
    }
  }, 60_000);
});
