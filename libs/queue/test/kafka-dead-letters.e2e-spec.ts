/**
 * Kafka dead letters on a real broker, through KafkaDeadLetters and its index: pages merge the
 * partitions by record time and follow cursors; a partial replay hides the replayed letter (by
 * its marker record) while a letter whose payload merely looks like a marker stays listed;
 * filters by error class and time see every letter; purge empties the topic; all listings share
 * one reader group.
 */
import type { LoggerService } from '@nestjs/common';
import { HEADERS } from '@lib/contracts';
import { topologyNames } from '@lib/retry';
import { testServices, uniqueName } from '@test/support';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { DeadLetterQuery } from '../src/dead-letter-page';
import { KafkaDeadLetters } from '../src/kafka/kafka-dead-letters';
import { KafkaPublisher } from '../src/kafka/kafka-publisher';
import { KafkaTopology } from '../src/kafka/kafka-topology';

const quiet: LoggerService = {
  log: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

describe('Kafka dead letters (index, markers, filters, cursors)', () => {
  const stream = uniqueName('dlt-index');
  const group = uniqueName('dlt-index-app');
  const topic = topologyNames.kafka.deadLetterTopic(stream, group);
  const kafka = new Kafka({
    brokers: testServices().kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const base = Date.now() - 60_000;
  let admin: Admin;
  let publisher: KafkaPublisher;
  let deadLetters: KafkaDeadLetters;

  /** Letter `n` on `partition`, failed with `errorClass` at base + n seconds. */
  function letter(n: number, partition: number, errorClass: string, value?: string) {
    const at = new Date(base + n * 1_000).toISOString();
    return {
      key: `k${n}`,
      partition,
      timestamp: String(base + n * 1_000),
      value: value ?? JSON.stringify({ eventId: `ev-${n}` }),
      headers: {
        [HEADERS.eventId]: `ev-${n}`,
        [HEADERS.errorClass]: errorClass,
        [HEADERS.errorMessage]: 'boom',
        [HEADERS.firstFailedAt]: at,
        [HEADERS.lastFailedAt]: at,
      },
    };
  }

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 2 },
        { topic: topologyNames.kafka.topic(stream), numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        letter(0, 0, 'A'),
        // A payload that starts like a replay marker, without the marker's header: a letter.
        letter(1, 1, 'B', JSON.stringify({ offsets: ['0'] })),
        letter(2, 0, 'B'),
        letter(3, 1, 'A'),
        letter(4, 0, 'A'),
      ],
    });
    await producer.disconnect();
    publisher = new KafkaPublisher(kafka, new KafkaTopology(kafka, quiet), { logger: quiet });
    deadLetters = new KafkaDeadLetters(kafka, publisher, group);
  }, 60_000);

  afterAll(async () => {
    await deadLetters?.close();
    await publisher?.close();
    await admin
      ?.deleteTopics({ topics: [topic, topologyNames.kafka.topic(stream)] })
      .catch(() => undefined);
    await admin?.disconnect();
  }, 60_000);

  async function eventIds(query: Partial<DeadLetterQuery> = {}): Promise<string[]> {
    const page = await deadLetters.page(stream, { limit: 100, ...query });
    return page.items.map((l) => l.headers[HEADERS.eventId]);
  }

  /** Every page of `limit` letters, following the cursors. */
  async function allPages(limit: number): Promise<string[][]> {
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await deadLetters.page(stream, { limit, cursor });
      pages.push(page.items.map((l) => l.headers[HEADERS.eventId]));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return pages;
  }

  async function readerGroups(): Promise<string[]> {
    const { groups } = await admin.listGroups();
    return groups.map((g) => g.groupId).filter((id) => id.startsWith(`dead-letter-index-${topic}`));
  }

  it('merges the partitions by time and follows cursors', async () => {
    expect(await eventIds()).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4']);
    expect(await allPages(2)).toEqual([['ev-0', 'ev-1'], ['ev-2', 'ev-3'], ['ev-4']]);
    const lookalike = (await deadLetters.page(stream, { limit: 2 })).items[1];
    expect(lookalike.payload).toEqual({ offsets: ['0'] });
    expect(await readerGroups()).toHaveLength(1);
  });

  it('filters by error class and time window', async () => {
    expect(await eventIds({ errorClass: 'A' })).toEqual(['ev-0', 'ev-3', 'ev-4']);
    expect(await eventIds({ from: base + 1_000, to: base + 4_000 })).toEqual([
      'ev-1',
      'ev-2',
      'ev-3',
    ]);
    expect(await eventIds({ errorClass: 'B', from: base + 2_000 })).toEqual(['ev-2']);
    const page = await deadLetters.page(stream, { limit: 1, errorClass: 'A' });
    expect(page.items.map((l) => l.headers[HEADERS.eventId])).toEqual(['ev-0']);
    const next = await deadLetters.page(stream, {
      limit: 5,
      errorClass: 'A',
      cursor: page.nextCursor!,
    });
    expect(next.items.map((l) => l.headers[HEADERS.eventId])).toEqual(['ev-3', 'ev-4']);
  });

  it('hides a letter replayed alone (by its marker) and keeps the rest listed', async () => {
    const two = (await deadLetters.page(stream, { limit: 100 })).items.find(
      (l) => l.headers[HEADERS.eventId] === 'ev-2',
    )!;
    expect(await deadLetters.replay(stream, [two.id])).toBe(1);
    expect(await eventIds()).toEqual(['ev-0', 'ev-1', 'ev-3', 'ev-4']);
    expect(await eventIds({ errorClass: 'B' })).toEqual(['ev-1']);
    expect(await deadLetters.get(stream, two.id)).toBeUndefined();
    const [main] = await admin.fetchTopicOffsets(topologyNames.kafka.topic(stream));
    expect(main.high).toBe('1');
    expect(await readerGroups()).toHaveLength(1);
  });

  it('purges every letter', async () => {
    expect(await deadLetters.purge(stream)).toBe(4);
    expect(await eventIds()).toEqual([]);
  });
});
