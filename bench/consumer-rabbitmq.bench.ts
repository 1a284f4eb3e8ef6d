/**
 * `npm run bench -- consumer-rabbitmq [count] [raw|record|batch]`: how fast the RabbitMQ transport
 * consumes, against the ceiling of raw amqplib.
 *
 * Publishes `count` (default 100 000) small JSON events once to a fresh stream exchange whose
 * fanout fills one queue per reader and round, so every reader gets the same `count` messages
 * waiting in its own `G.S` queue. Each reader drains its queue, timed from the first message
 * received to the last:
 * - baseline: raw amqplib, same prefetch (CONSUMER_MAX_IN_FLIGHT, 2000), manual acks batched with
 *   `multiple` once per event-loop turn, no parsing, nothing else;
 * - ours, per-record: an app (createHttpApp + QueueModule + connectQueueConsumers) whose
 *   `@EventPattern` handler does nothing: parsing, key order, invocation through Nest, acks;
 * - ours, `@Batch(500)`: the same with a batch handler, the path apps with work queues use.
 * The readers alternate (in rotating order) for BENCH_ROUNDS rounds (default 2) on the shared,
 * noisy machine and each one's best counts; the client CPU per message is printed too, as it is
 * steadier than rates when the broker shares two cores with the client. The headline is batch
 * mode, as in consumer-kafka: the path apps with work queues use; per-record is printed beside it.
 * RabbitMQ is the machine's (BENCH_RABBITMQ_URL, default amqp://guest:guest@127.0.0.1:5672); the
 * benchmark deletes its queues and exchange at the end.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import * as amqp from 'amqplib';
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { createHttpApp, PlatformModule } from '@lib/platform';
import { connectQueueConsumers, queueConfig, QueueModule } from '@lib/queue';
import { resolveRetryPolicy, retryTiers, topologyNames } from '@lib/retry';
import { formatRate, freePort, Meter, noOpConsumer, printHeadline } from './support';
import { benchRounds } from './support/throughput-rounds';

const NAME = 'consumer-rabbitmq';
const ROUNDS = benchRounds(2);
const URL = process.env.BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const PREFETCH = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 2_000);
/**
 * Transient by default: the queued messages stay in RabbitMQ's memory, so the broker's disk does
 * not cap both readers alike and hide the client's cost, which is what is compared here.
 * BENCH_PERSISTENT=1 measures with persistent messages, as production publishes them.
 */
const PERSISTENT = process.env.BENCH_PERSISTENT === '1';
const READERS = ['raw', 'record', 'batch'] as const;
type Reader = (typeof READERS)[number];

/** One reader's figures: messages per second, and client CPU per message in µs. */
interface Result {
  readonly rate: number;
  readonly cpuUs: number;
}

const measured = (meter: Meter): Result => ({ rate: meter.rate(), cpuUs: meter.cpuPerMessage() });

/** Every queue a reader's group has (our transport declares the retry and failed queues itself). */
function queuesOf(group: string, stream: string): string[] {
  const names = topologyNames.rabbitmq;
  const tiers = retryTiers(resolveRetryPolicy());
  return [
    names.queue(group, stream),
    names.failedQueue(group, stream),
    ...tiers.map((d) => names.retryQueue(group, stream, d)),
  ];
}

/**
 * Declares every reader's `G.S` bound to the stream exchange and fills them. The declaration
 * matches the transport's (fanout exchange, classic durable queue), which declares it again.
 */
async function produce(
  model: ChannelModel,
  stream: string,
  groups: string[],
  count: number,
): Promise<void> {
  const channel = await model.createConfirmChannel();
  await channel.assertExchange(stream, 'fanout', { durable: true });
  for (const group of groups) {
    const queue = topologyNames.rabbitmq.queue(group, stream);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    await channel.bindQueue(queue, stream, '');
  }
  const batch = 5_000;
  for (let i = 0; i < count; i += batch) {
    for (let j = i; j < Math.min(count, i + batch); j++) {
      const eventId = randomUUID();
      const pageId = `page-${j % 1000}`;
      const value = JSON.stringify({
        eventId,
        pageId,
        visitorId: `v-${j % 7919}`,
        receivedAt: new Date().toISOString(),
      });
      const headers = { 'x-event-id': eventId, 'x-event-type': stream, 'x-key': pageId };
      channel.publish(stream, pageId, Buffer.from(value), {
        persistent: PERSISTENT,
        contentType: 'application/json',
        messageId: eventId,
        headers,
      });
    }
    await channel.waitForConfirms();
  }
  await channel.close();
}

/** Raw amqplib: no-op per message, one `multiple` ack per event-loop turn. */
async function baseline(model: ChannelModel, queue: string, count: number): Promise<Result> {
  const meter = new Meter(count);
  const channel = await model.createChannel();
  await channel.prefetch(PREFETCH);
  let last: ConsumeMessage | undefined;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (last) channel.ack(last, true);
    last = undefined;
  };
  await channel.consume(queue, (message) => {
    if (!message) return;
    meter.add(1);
    last = message;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  await meter.finished;
  flush();
  await channel.close();
  return measured(meter);
}

/** Our transport in a real app, consuming as group `group` (whose queue is already full). */
async function ours(stream: string, group: string, count: number, batch: boolean): Promise<Result> {
  const meter = new Meter(count);
  @Module({ controllers: [noOpConsumer(stream, meter, batch)] })
  class BenchFeatureModule {}
  @Module({})
  class BenchRootModule {}
  const created = await createHttpApp({
    name: group,
    defaultPort: await freePort(),
    env: {
      BROKER: 'rabbitmq',
      RABBITMQ_URL: URL,
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '0',
      CONSUMER_MAX_IN_FLIGHT: String(PREFETCH),
    },
    module: (env) => ({
      module: BenchRootModule,
      imports: [PlatformModule.forRoot(group, env), QueueModule.forRoot({}), BenchFeatureModule],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  await meter.finished;
  await created.app.close();
  return measured(meter);
}

function read(
  model: ChannelModel,
  stream: string,
  reader: Reader,
  group: string,
  count: number,
): Promise<Result> {
  if (reader === 'raw') return baseline(model, `${group}.${stream}`, count);
  return ours(stream, group, count, reader === 'batch');
}

/** Deletes the benchmark's queues (every reader's topology) and its exchange. */
async function cleanUp(model: ChannelModel, stream: string, groups: string[]): Promise<void> {
  const channel = await model.createChannel();
  for (const group of groups)
    for (const queue of queuesOf(group, stream)) await channel.deleteQueue(queue);
  await channel.deleteExchange(stream);
  await channel.close();
}

/**
 * Runs the benchmark; the last line printed is the headline. `args`: the message count, and
 * optionally one reader to run alone (`raw`, `record`, `batch`), for profiling.
 */
export async function main(args: string[]): Promise<void> {
  const count = Number(args[0] ?? 100_000);
  const only = args[1] as Reader | undefined;
  if (only !== undefined && !READERS.includes(only))
    throw new Error(`unknown reader "${only}"; expected ${READERS.join(', ')}`);
  const model = await amqp.connect(URL);
  model.on('error', () => undefined);
  const stream = `bench-page-views-${randomUUID().slice(0, 8)}`;
  const rounds = only ? 1 : ROUNDS;
  const plan: Array<{ round: number; reader: Reader; group: string }> = [];
  for (let round = 1; round <= rounds; round++) {
    // The order rotates per round, so no reader always runs first after the publish.
    const order = only ? [only] : READERS.map((_, i) => READERS[(i + round - 1) % READERS.length]);
    for (const reader of order) plan.push({ round, reader, group: `bench-${reader}-${round}` });
  }
  const groups = plan.map((p) => p.group);
  try {
    const producedAt = Date.now();
    await produce(model, stream, groups, count);
    console.log(
      `produced ${count} messages to ${stream}, fanned out to ${groups.length} queues, in ${Date.now() - producedAt} ms`,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // let the broker settle after the burst
    const best: Record<Reader, Result> = {
      raw: { rate: 0, cpuUs: Infinity },
      record: { rate: 0, cpuUs: Infinity },
      batch: { rate: 0, cpuUs: Infinity },
    };
    for (const { round, reader, group } of plan) {
      const result = await read(model, stream, reader, group, count);
      console.log(
        `round ${round}: ${reader.padEnd(6)} ${formatRate(result.rate)}, client CPU ${result.cpuUs.toFixed(1)} µs/msg`,
      );
      best[reader] = {
        rate: Math.max(best[reader].rate, result.rate),
        cpuUs: Math.min(best[reader].cpuUs, result.cpuUs),
      };
    }
    if (only) return;
    const line = (label: string, r: Result) =>
      `${label}: ${formatRate(r.rate)} (ratio ${(r.rate / best.raw.rate).toFixed(2)}), client CPU ${r.cpuUs.toFixed(1)} µs/msg`;
    console.log(line('baseline, raw amqplib no-op with batched multiple acks', best.raw));
    console.log(line('ours, @Batch(500) no-op handler', best.batch));
    console.log(line('ours, per-record no-op handler', best.record));
    printHeadline(NAME, best.batch.rate, best.raw.rate);
  } finally {
    await cleanUp(model, stream, groups).catch((e: Error) =>
      console.error(`clean-up failed: ${e.message}`),
    );
    await model.close().catch(() => undefined);
  }
}
