/**
 * `npm run bench -- dead-letters [records]`: how soon the first page of a large Kafka dead-letter
 * topic answers, against the earlier way of indexing it.
 *
 * Fills a fresh 3-partition dead-letter topic with `records` (default 100 000) small letters with
 * the failure headers, then, each round with a reader that starts cold:
 * - ours: an app (createHttpApp + QueueModule on Kafka, as every consuming app) answers
 *   `GET /admin/dead-letters?limit=50` (its index starts with the request); then a page filtered
 *   by error class and a time window 90 % into the topic, at once and again once the background
 *   decoding had 3 s;
 * - baseline: the index as it read before: kafkajs' default fetch sizes and every record's
 *   headers decoded while reading, until the topic's end (the first page waited for that);
 * - reference: raw kafkajs reading the topic with the transport's fetch sizes and doing nothing,
 *   the floor of any reader that must see every record.
 * Rounds alternate (BENCH_ROUNDS, default 3); each one's best counts. The headline is records
 * indexed per second until the first page (records ÷ first-page time).
 */
import 'reflect-metadata';
import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { HEADERS } from '@lib/contracts';
import { KAFKA_FETCH_OPTIONS } from '@lib/queue';
import { topologyNames } from '@lib/retry';
import { Kafka, logLevel, type ConsumerConfig, type KafkaMessage } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { printHeadline, produceToNewTopic, startBenchKafka, startQueueApp, timed } from './support';
import { benchRounds } from './support/throughput-rounds';

const NAME = 'dead-letters';
const PARTITIONS = 3;
const ROUNDS = benchRounds(3);
const ADMIN_KEY = 'bench-admin-key';

/** Reads `topic` from its start to the ends seen now with a throwaway group; `each` sees every record. */
async function readToEnd(
  kafka: Kafka,
  topic: string,
  config: Partial<ConsumerConfig>,
  each: (message: KafkaMessage) => void,
): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map(
    (await admin.fetchTopicOffsets(topic)).map((m) => [m.partition, BigInt(m.high)]),
  );
  const groupId = `bench-dlt-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, ...config });
  const { ms } = await timed(async () => {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) each(m);
            if (BigInt(batch.lastOffset()) + 1n >= ends.get(batch.partition)!)
              ends.delete(batch.partition);
            if (ends.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  return ms;
}

/** Header values as strings, as the transport decodes them (kafka-message.ts). */
function decodeHeaders(m: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.headers ?? {}))
    if (value !== undefined) headers[name] = String(Array.isArray(value) ? value[0] : value);
  return headers;
}

/** The earlier index: default fetch sizes, every record's headers decoded while reading. */
function baseline(kafka: Kafka, topic: string): Promise<number> {
  const kept: unknown[] = [];
  return readToEnd(kafka, topic, {}, (m) => {
    const headers = decodeHeaders(m);
    if (headers['x-dlt-replayed'] === undefined)
      kept.push({ offset: BigInt(m.offset), m, headers });
  });
}

/** Raw kafkajs with the transport's fetch sizes, keeping nothing. */
function reference(kafka: Kafka, topic: string): Promise<number> {
  return readToEnd(kafka, topic, KAFKA_FETCH_OPTIONS, () => undefined);
}

/** Our first page and filtered pages through a fresh app's `/admin/dead-letters`. */
async function ours(
  brokers: string,
  stream: string,
  group: string,
  filter: string,
): Promise<{ first: number; filteredCold: number; filteredWarm: number }> {
  @Controller()
  class Consumer {
    @EventPattern(stream)
    handle(): void {}
  }
  const app = await startQueueApp({
    name: group,
    env: { BROKER: 'kafka', KAFKA_BROKERS: brokers, ADMIN_API_KEYS: ADMIN_KEY },
    controllers: [Consumer],
  });
  try {
    const { port } = app.getHttpServer().address() as AddressInfo;
    const url = `http://127.0.0.1:${port}`;
    const get = async (query: string) => {
      const { result, ms } = await timed(() =>
        fetch(`${url}/admin/dead-letters?stream=${stream}&${query}`, {
          headers: { 'x-api-key': ADMIN_KEY },
        }),
      );
      const body = (await result.json()) as { items?: unknown[] };
      if (result.status !== 200 || body.items?.length !== 50)
        throw new Error(`GET /admin/dead-letters: ${result.status} ${JSON.stringify(body)}`);
      return ms;
    };
    const first = await get('limit=50');
    const filteredCold = await get(`limit=50&${filter}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const filteredWarm = await get(`limit=50&${filter}`);
    return { first, filteredCold, filteredWarm };
  } finally {
    await app.close();
  }
}

/** Runs the benchmark; the last line printed is the headline. `args`: the number of letters. */
export async function main(args: string[]): Promise<void> {
  const records = Number(args[0] ?? 100_000);
  const broker = await startBenchKafka();
  try {
    const kafka = new Kafka({
      clientId: NAME,
      brokers: broker.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const stream = `bench-dlt-${randomUUID().slice(0, 8)}`;
    const group = `bench-dlt-app-${randomUUID().slice(0, 8)}`;
    const topic = topologyNames.kafka.deadLetterTopic(stream, group);
    const base = Date.now() - 3_600_000;
    const producedAt = Date.now();
    await produceToNewTopic(kafka, topic, PARTITIONS, records, (i) => {
      const at = new Date(base + i).toISOString();
      return {
        key: `k${i}`,
        partition: i % PARTITIONS,
        timestamp: String(base + i),
        value: JSON.stringify({ eventId: `ev-${i}`, pageId: `p${i}` }),
        headers: {
          [HEADERS.eventId]: `ev-${i}`,
          [HEADERS.errorClass]: `Error${i % 4}`,
          [HEADERS.errorMessage]: 'boom',
          [HEADERS.firstFailedAt]: at,
          [HEADERS.lastFailedAt]: at,
        },
      };
    });
    console.log(
      `produced ${records} letters to ${topic} (${PARTITIONS} partitions) in ${Date.now() - producedAt} ms`,
    );
    // A class every 4th letter, in a window that holds 400 of them, 90 % into the topic.
    const from = new Date(base + Math.floor(records * 0.9)).toISOString();
    const to = new Date(base + Math.floor(records * 0.9) + 400).toISOString();
    const filter = `errorClass=Error3&from=${from}&to=${to}`;
    const best = {
      ours: Infinity,
      cold: Infinity,
      warm: Infinity,
      baseline: Infinity,
      floor: Infinity,
    };
    for (let round = 1; round <= ROUNDS; round++) {
      const earlier = await baseline(kafka, topic);
      const floor = await reference(kafka, topic);
      const page = await ours(broker.brokers, stream, group, filter);
      console.log(
        `round ${round}: ours first page ${page.first.toFixed(0)} ms, filtered ${page.filteredCold.toFixed(0)} ms ` +
          `(after 3 s ${page.filteredWarm.toFixed(0)} ms); earlier index caught up in ${earlier.toFixed(0)} ms; ` +
          `raw kafkajs read in ${floor.toFixed(0)} ms`,
      );
      best.ours = Math.min(best.ours, page.first);
      best.cold = Math.min(best.cold, page.filteredCold);
      best.warm = Math.min(best.warm, page.filteredWarm);
      best.baseline = Math.min(best.baseline, earlier);
      best.floor = Math.min(best.floor, floor);
    }
    console.log(
      `first page of 50 from ${records} letters: ours ${best.ours.toFixed(0)} ms, earlier index ${best.baseline.toFixed(0)} ms, ` +
        `raw kafkajs read ${best.floor.toFixed(0)} ms; filtered page ${best.cold.toFixed(0)} ms at once, ${best.warm.toFixed(0)} ms after 3 s`,
    );
    printHeadline(NAME, records / (best.ours / 1000), records / (best.baseline / 1000));
  } finally {
    await broker.stop();
  }
}
