/**
 * `npm run bench -- consumer-kafka [count]`: how fast the Kafka transport consumes, against the
 * ceiling of raw kafkajs.
 *
 * Publishes `count` (default 200 000) small JSON events to a fresh 3-partition topic, then reads
 * them all, each time with a new consumer group, from the first record received to the last:
 * - baseline: a raw kafkajs consumer whose eachBatch does nothing, with the transport's fetch
 *   sizes (KAFKA_FETCH_OPTIONS);
 * - reference: the same raw consumer parsing each value as JSON, which any consumer that hands
 *   handlers a payload must do (the part of the gap that is not the transport);
 * - ours, batch mode: an app (createHttpApp + QueueModule + connectQueueConsumers) whose
 *   `@EventPattern` handler is `@Batch(500)` and does nothing: the path apps with work queues use;
 * - ours, per-record mode: the same with a plain per-event handler.
 * The readers alternate for BENCH_ROUNDS rounds (default 3) and each one's best rate counts, as
 * the machine is shared. The headline is batch mode.
 */
import 'reflect-metadata';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { KAFKA_FETCH_OPTIONS } from '@lib/queue';
import {
  formatRate,
  Meter,
  noOpConsumer,
  printHeadline,
  produceToNewTopic,
  startBenchKafka,
  startQueueApp,
} from './support';
import { benchRounds } from './support/throughput-rounds';

const NAME = 'consumer-kafka';
const PARTITIONS = 3;
const ROUNDS = benchRounds(3);

function produce(kafka: Kafka, topic: string, count: number): Promise<void> {
  return produceToNewTopic(kafka, topic, PARTITIONS, count, (j) => {
    const eventId = randomUUID();
    const pageId = `page-${j % 1000}`;
    const value = JSON.stringify({
      eventId,
      pageId,
      visitorId: `v-${j % 7919}`,
      receivedAt: new Date().toISOString(),
    });
    return { key: pageId, value, headers: { 'x-event-id': eventId, 'x-event-type': topic } };
  });
}

/** One reader's figures: messages per second and client CPU per message (µs). */
interface Reading {
  readonly rate: number;
  readonly cpu: number;
}

function reading(meter: Meter): Reading {
  return { rate: meter.rate(), cpu: meter.cpuPerMessage() };
}

function formatReading(r: Reading): string {
  return `${formatRate(r.rate)} (${r.cpu.toFixed(2)} µs CPU/msg)`;
}

async function baseline(kafka: Kafka, topic: string, count: number): Promise<Reading> {
  const meter = new Meter(count);
  // The same fetch sizes as our transport, so that only what happens per record differs.
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, ...KAFKA_FETCH_OPTIONS });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => meter.add(batch.messages.length) });
  await meter.finished;
  await consumer.disconnect();
  return reading(meter);
}

/**
 * A reference, not the ceiling: raw kafkajs doing only the JSON.parse of every value that any
 * consumer handing a payload to a handler must do. It shows how much of the gap to the ceiling
 * is parsing, and how much is the transport.
 */
async function rawWithParse(kafka: Kafka, topic: string, count: number): Promise<Reading> {
  const meter = new Meter(count);
  const consumer = kafka.consumer({
    groupId: `bench-parse-${randomUUID()}`,
    ...KAFKA_FETCH_OPTIONS,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let sink = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages)
        if (m.value) sink += (JSON.parse(m.value.toString()) as object) ? 1 : 0;
      meter.add(batch.messages.length);
    },
  });
  await meter.finished;
  await consumer.disconnect();
  if (sink !== count) throw new Error(`parsed ${sink} of ${count}`);
  return reading(meter);
}

async function ours(
  brokers: string,
  topic: string,
  count: number,
  batch: boolean,
): Promise<Reading> {
  const meter = new Meter(count);
  const maxInFlight = process.env.BENCH_MAX_IN_FLIGHT;
  const app = await startQueueApp({
    name: `bench-ours-${batch ? 'batch' : 'record'}-${randomUUID().slice(0, 8)}`,
    env: {
      BROKER: 'kafka',
      KAFKA_BROKERS: brokers,
      ...(maxInFlight ? { CONSUMER_MAX_IN_FLIGHT: maxInFlight } : {}),
    },
    controllers: [noOpConsumer(topic, meter, batch)],
  });
  await meter.finished;
  await app.close();
  return reading(meter);
}

/**
 * Runs the benchmark; the last line printed is the headline. `args`: the message count, and
 * optionally one phase to run alone (`raw`, `batch`, `record`), for profiling. Environment:
 * BENCH_KAFKA_BROKERS (use a running broker), BENCH_TOPIC (reuse a filled topic), BENCH_ROUNDS,
 * BENCH_MAX_IN_FLIGHT (our CONSUMER_MAX_IN_FLIGHT).
 */
export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 200_000);
  const only = args[1];
  const broker = await startBenchKafka();
  try {
    const kafka = new Kafka({
      clientId: NAME,
      brokers: broker.brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    // BENCH_TOPIC reuses a topic that already holds `count` messages (profiling one phase alone).
    const topic = process.env.BENCH_TOPIC ?? `bench-page-views-${randomUUID().slice(0, 8)}`;
    if (!process.env.BENCH_TOPIC) {
      const producedAt = Date.now();
      await produce(kafka, topic, count);
      console.log(
        `produced ${count} messages to ${topic} (${PARTITIONS} partitions) in ${Date.now() - producedAt} ms`,
      );
    }

    if (only) {
      const result =
        only === 'raw'
          ? await baseline(kafka, topic, count)
          : await ours(broker.brokers, topic, count, only === 'batch');
      console.log(`${only}: ${formatReading(result)}`);
      return;
    }
    // The machine is shared and noisy: alternate the three readers for a few rounds and keep each one's best.
    const best = { raw: 0, parse: 0, batch: 0, record: 0 };
    // Batch mode ÷ raw within each round: the two ran a few seconds apart, under the same load.
    const paired: number[] = [];
    const cpu = { raw: Infinity, parse: Infinity, batch: Infinity, record: Infinity };
    for (let round = 1; round <= ROUNDS; round++) {
      const raw = await baseline(kafka, topic, count);
      const parse = await rawWithParse(kafka, topic, count);
      const batch = await ours(broker.brokers, topic, count, true);
      const record = await ours(broker.brokers, topic, count, false);
      console.log(
        `round ${round}: raw kafkajs ${formatReading(raw)}, raw + JSON.parse ${formatReading(parse)}, ` +
          `ours @Batch(500) ${formatReading(batch)}, ours per-record ${formatReading(record)}`,
      );
      paired.push(batch.rate / raw.rate);
      for (const [key, r] of [
        ['raw', raw],
        ['parse', parse],
        ['batch', batch],
        ['record', record],
      ] as const) {
        best[key] = Math.max(best[key], r.rate);
        cpu[key] = Math.min(cpu[key], r.cpu);
      }
    }
    // CPU per message is steadier than the rate on a shared machine: printed as a cross-check.
    console.log(
      `baseline, raw kafkajs eachBatch doing nothing: ${formatRate(best.raw)} (${cpu.raw.toFixed(2)} µs CPU/msg)`,
    );
    console.log(
      `reference, raw kafkajs eachBatch parsing each value: ${formatRate(best.parse)} (${cpu.parse.toFixed(2)} µs CPU/msg)`,
    );
    console.log(
      `ours, per-record no-op handler: ${formatRate(best.record)} (ratio ${(best.record / best.raw).toFixed(2)}, ${cpu.record.toFixed(2)} µs CPU/msg)`,
    );
    console.log(
      `ours, @Batch(500) no-op handler: ${formatRate(best.batch)} (ratio ${(best.batch / best.raw).toFixed(2)}; ${(best.batch / best.parse).toFixed(2)} of raw + parse; ${cpu.batch.toFixed(2)} µs CPU/msg)`,
    );
    const sorted = [...paired].sort((a, b) => a - b);
    console.log(
      `batch mode / raw per round: ${paired.map((r) => r.toFixed(2)).join(', ')} (median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)}); ` +
        "the headline below compares each reader's best round",
    );
    printHeadline(NAME, best.batch, best.raw);
  } finally {
    await broker.stop();
  }
}
