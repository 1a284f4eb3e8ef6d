import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A Kafka broker for a benchmark: started here (and stopped by `stop`) or given by BENCH_KAFKA_BROKERS. */
export interface BenchKafka {
  readonly brokers: string;
  stop(): Promise<void>;
}

interface KafkaBrokerScript {
  startKafka(options?: {
    heapMb?: number;
  }): Promise<{ brokers: string; startupMs: number; stop(): Promise<void> }>;
}

function brokerScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'docker', 'kafka', 'kafka-broker.js');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir)
      throw new Error(`docker/kafka/kafka-broker.js not found above ${__dirname}`);
  }
}

/**
 * Starts a single-node Kafka 3.9 broker with docker/kafka/kafka-broker.js, like the tests, unless
 * BENCH_KAFKA_BROKERS points at a running one (handy when iterating).
 */
export async function startBenchKafka(
  log: (line: string) => void = console.log,
): Promise<BenchKafka> {
  const given = process.env.BENCH_KAFKA_BROKERS;
  if (given) {
    log(`kafka: using BENCH_KAFKA_BROKERS=${given}`);
    return { brokers: given, stop: async () => undefined };
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const script = require(brokerScript()) as KafkaBrokerScript;
  const kafka = await script.startKafka({ heapMb: 1024 });
  log(`kafka: started ${kafka.brokers} in ${(kafka.startupMs / 1000).toFixed(1)} s`);
  return { brokers: kafka.brokers, stop: () => kafka.stop() };
}

/**
 * Creates `topic` with `partitions` and publishes `count` messages built by `messageAt(i)` with
 * `acks=-1`, `batchSize` per send (keep a send under the broker's 1 MiB request limit).
 */
export async function produceToNewTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
  count: number,
  messageAt: (index: number) => Message,
  batchSize = 5_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: partitions }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let i = 0; i < count; i += batchSize) {
    const messages: Message[] = [];
    for (let j = i; j < Math.min(count, i + batchSize); j++) messages.push(messageAt(j));
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
}
