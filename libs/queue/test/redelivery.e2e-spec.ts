/**
 * RedeliverError on every broker, against the real services: a handler that throws it once for a
 * record gets the same record again (Kafka and memory: the same offset; RabbitMQ: a delivery with
 * the redelivered flag), as attempt 0 without failure headers; nothing reaches a retry topic or
 * queue or the dead letters, and every other event is handled exactly once. The shutdown case: a
 * batch whose work is discarded while the app shuts down is handled after a restart, exactly once.
 */
import { Controller, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as amqp from 'amqplib';
import type { ConsumeMessage } from 'amqplib';
import { Kafka, logLevel } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { HEADERS } from '@lib/contracts';
import {
  Batch,
  EventPublisher,
  MemoryBroker,
  QueueContext,
  RedeliverError,
  Retry,
  type BatchResult,
  type IncomingEvent,
} from '@lib/queue';
import { topologyNames } from '@lib/retry';
import { testServices, uniqueName, waitFor } from '@test/support';
import { RmqStreamConsumer } from '../src/rabbitmq/rmq-stream-consumer';
import { startContractApp, type ContractApp } from './contract/contract-app';
import type { ContractBroker } from './contract/contract-broker';
import { recordDeclarations } from './rabbitmq-test-helpers';

const declared = recordDeclarations();
const WAIT = { timeoutMs: 30_000, intervalMs: 25 };
/** Long enough that a retried event would still sit in its retry topic or queue at the end. */
const RETRY_DELAY_MS = 60_000;

type BrokerName = 'memory' | 'kafka' | 'rabbitmq';

/** Handler calls by event id: where each delivery was read and its attempt. */
class Seen {
  readonly calls = new Map<string, Array<{ offset: string; attempt: number; failed?: string }>>();
  asked = new Set<string>();

  record(event: IncomingEvent, context: QueueContext): void {
    const list = this.calls.get(event.eventId) ?? [];
    const meta = context.metadataOf(event);
    list.push({
      offset: meta.position.offset,
      attempt: meta.attempt,
      failed: meta.headers[HEADERS.attempt],
    });
    this.calls.set(event.eventId, list);
  }

  /** True the first time it is asked about `eventId`. */
  first(eventId: string): boolean {
    if (this.asked.has(eventId)) return false;
    this.asked.add(eventId);
    return true;
  }
}

interface Streams {
  readonly single: string;
  readonly batched: string;
  readonly shutdown: string;
}

/** What the shutdown case's handler holds: its batches' work, discarded when the test says so. */
class Held {
  readonly discards: Array<(error: unknown) => void> = [];
  holding = true;

  discard(error: unknown): void {
    for (const discard of this.discards.splice(0)) discard(error);
  }
}

function controller(s: Streams, seen: Seen, held: Held): Type {
  @Controller()
  class RedeliveryController {
    @EventPattern(s.single)
    @Retry({ delaysMs: [RETRY_DELAY_MS] })
    single(@Payload() event: IncomingEvent<{ redeliver?: boolean }>, @Ctx() context: QueueContext) {
      seen.record(event, context);
      if (event.payload.redeliver && seen.first(event.eventId))
        throw new RedeliverError('dropped unapplied');
    }

    @EventPattern(s.batched)
    @Batch(20)
    @Retry({ delaysMs: [RETRY_DELAY_MS] })
    batched(
      @Payload() events: IncomingEvent<{ redeliver?: boolean }>[],
      @Ctx() context: QueueContext,
    ): BatchResult {
      for (const event of events) seen.record(event, context);
      const marked = events.find((e) => e.payload.redeliver && seen.first(e.eventId));
      // The batch's work is dropped as a work queue drops it: its pending promise rejects.
      return marked ? { pending: Promise.reject(new RedeliverError('fenced')) } : {};
    }

    @EventPattern(s.shutdown)
    @Batch(50)
    @Retry({ delaysMs: [RETRY_DELAY_MS] })
    shutdown(@Payload() events: IncomingEvent[], @Ctx() context: QueueContext): BatchResult {
      for (const event of events) seen.record(event, context);
      if (!held.holding) return {};
      const pending = new Promise<void>((_, reject) => held.discards.push(reject));
      return { pending };
    }
  }
  return RedeliveryController;
}

/** The broker of a run: app environment, and how many messages its retry and dead-letter places hold. */
interface Broker extends Pick<ContractBroker, 'env' | 'queueOptions'> {
  parked(stream: string, group: string): Promise<number>;
  close(): Promise<void>;
}

async function brokerOf(name: BrokerName): Promise<Broker> {
  const services = testServices();
  if (name === 'memory') {
    const memory = new MemoryBroker();
    const names = topologyNames.kafka;
    return {
      env: () => ({ BROKER: 'memory' }),
      queueOptions: () => ({ memoryBroker: memory }),
      parked: async (stream, group) =>
        [names.retryTopic(stream, group, RETRY_DELAY_MS), names.deadLetterTopic(stream, group)]
          .flatMap((topic) => memory.partitions(topic))
          .reduce((sum, p) => sum + p.endOffset, 0),
      close: async () => undefined,
    };
  }
  if (name === 'kafka') {
    const kafka = new Kafka({
      clientId: 'redelivery',
      brokers: services.kafkaBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const names = topologyNames.kafka;
    return {
      env: () => ({ BROKER: 'kafka', KAFKA_BROKERS: services.kafkaBrokers }),
      parked: async (stream, group) => {
        let sum = 0;
        for (const topic of [
          names.retryTopic(stream, group, RETRY_DELAY_MS),
          names.deadLetterTopic(stream, group),
        ]) {
          for (const p of await admin.fetchTopicOffsets(topic)) sum += Number(p.high);
        }
        return sum;
      },
      close: () => admin.disconnect(),
    };
  }
  const model = await amqp.connect(services.rabbitmqUrl);
  model.on('error', () => undefined);
  const names = topologyNames.rabbitmq;
  return {
    env: () => ({ BROKER: 'rabbitmq', RABBITMQ_URL: services.rabbitmqUrl }),
    parked: async (stream, group) => {
      const channel = await model.createChannel();
      try {
        let sum = 0;
        for (const queue of [
          names.retryQueue(group, stream, RETRY_DELAY_MS),
          names.failedQueue(group, stream),
        ])
          sum += (await channel.checkQueue(queue)).messageCount;
        return sum;
      } finally {
        await channel.close();
      }
    },
    close: async () => {
      await declared.deleteAll(model);
      await model.close().catch(() => undefined);
    },
  };
}

describe.each(['memory', 'kafka', 'rabbitmq'] as const)('redelivery on %s', (name) => {
  const run = uniqueName('rd');
  const streams: Streams = {
    single: `${run}-single`,
    batched: `${run}-batched`,
    shutdown: `${run}-shutdown`,
  };
  const group = `${run}-app`;
  const seen = new Seen();
  const held = new Held();
  /** RabbitMQ: the redelivered flag of each delivery, by event id. */
  const redelivered = new Map<string, boolean[]>();
  let broker: Broker;
  let app: ContractApp;
  let publisher: EventPublisher;

  const publish = async (stream: string, count: number, marked: number[] = []) => {
    const ids = Array.from({ length: count }, () => randomUUID());
    await publisher.publish(
      ids.map((eventId, i) => ({
        stream,
        key: `k${i % 4}`,
        value: { eventId, redeliver: marked.includes(i) },
      })),
    );
    return ids;
  };
  const start = () =>
    startContractApp(broker as unknown as ContractBroker, group, controller(streams, seen, held));
  const metric = async (metricName: string, stream: string) => {
    const text = (await app.request('GET', '/metrics')).body as string;
    const line = text.split('\n').find((l) => l.startsWith(`${metricName}{stream="${stream}"}`));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  };
  /** Nothing retried, failed or parked in a retry or dead-letter place. */
  const expectNoFailure = async (stream: string) => {
    expect(await broker.parked(stream, group)).toBe(0);
    expect(await metric('queue_events_failed_total', stream)).toBe(0);
    expect(await metric('queue_events_retried_total', stream)).toBe(0);
    const letters = await app.request('GET', `/admin/dead-letters?stream=${stream}`);
    expect(letters.body.items).toEqual([]);
  };

  beforeAll(async () => {
    if (name === 'rabbitmq') {
      // Records the redelivered flag of every delivery (jest gives this file its own modules).
      const proto = RmqStreamConsumer.prototype as unknown as {
        deliver(run: unknown, message: ConsumeMessage | null): void;
      };
      const deliver = proto.deliver;
      proto.deliver = function (this: unknown, run: unknown, message: ConsumeMessage | null) {
        if (message) {
          const id = (JSON.parse(message.content.toString()) as { eventId: string }).eventId;
          redelivered.set(id, [...(redelivered.get(id) ?? []), message.fields.redelivered]);
        }
        return deliver.call(this, run, message);
      };
    }
    broker = await brokerOf(name);
    app = await start();
    publisher = app.app.get(EventPublisher);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await broker?.close();
  }, 60_000);

  it('hands a record that asked for redelivery to the handler again, not as a failed attempt', async () => {
    const ids = await publish(streams.single, 30, [12]);
    await waitFor(
      () => ids.every((id) => seen.calls.has(id)) && seen.calls.get(ids[12])!.length === 2,
      {
        ...WAIT,
        description: 'every event, the marked one twice',
      },
    );
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up now
    const [first, again] = seen.calls.get(ids[12])!;
    expect(again).toEqual({
      offset: name === 'rabbitmq' ? again.offset : first.offset,
      attempt: 0,
      failed: undefined,
    });
    if (name === 'rabbitmq') expect(redelivered.get(ids[12])).toEqual([false, true]);
    for (const id of ids) if (id !== ids[12]) expect(seen.calls.get(id)).toHaveLength(1);
    await expectNoFailure(streams.single);
  });

  it('reads a batch whose work was discarded again whole, each event handled once more', async () => {
    const ids = await publish(streams.batched, 60, [5]);
    await waitFor(
      () => ids.every((id) => seen.calls.has(id)) && seen.calls.get(ids[5])!.length === 2,
      {
        ...WAIT,
        description: 'every event, the discarded batch twice',
      },
    );
    await new Promise((r) => setTimeout(r, 500));
    const twice = ids.filter((id) => seen.calls.get(id)!.length === 2);
    expect(twice).toContain(ids[5]);
    // Only the batch that was discarded came again, each event of it once more and unchanged.
    expect(twice.length).toBeLessThanOrEqual(20);
    for (const id of ids) expect(seen.calls.get(id)!.length).toBeLessThanOrEqual(2);
    for (const id of twice) {
      const [first, again] = seen.calls.get(id)!;
      expect(again.attempt).toBe(0);
      expect(again.failed).toBeUndefined();
      if (name !== 'rabbitmq') expect(again.offset).toBe(first.offset);
      else expect(redelivered.get(id)).toEqual([false, true]);
    }
    await expectNoFailure(streams.batched);
  });

  it('hands a batch discarded at shutdown to the restarted app, each event once', async () => {
    const ids = await publish(streams.shutdown, 40);
    await waitFor(() => held.discards.length > 0, { ...WAIT, description: 'a held batch' });
    await new Promise((r) => setTimeout(r, 200)); // RabbitMQ delivers one by one: let the rest arrive
    // One batch outstanding at a time: what was seen so far is the held batch.
    const heldIds = ids.filter((id) => seen.calls.has(id));
    expect(heldIds.length).toBeGreaterThan(0);
    const closing = app.close();
    // Discarded while the app drains, as a work queue's final flush drops what it could not write;
    // records read but not yet handed on are then handled by the closing app (once).
    await new Promise((r) => setTimeout(r, 200));
    held.holding = false;
    held.discard(new RedeliverError('work queue closed'));
    await closing;
    app = await start();
    await waitFor(
      () => ids.every((id) => (seen.calls.get(id)?.length ?? 0) >= (heldIds.includes(id) ? 2 : 1)),
      {
        ...WAIT,
        description: 'every event after the restart, the held ones again',
      },
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const id of ids) {
      const calls = seen.calls.get(id)!;
      expect(calls).toHaveLength(heldIds.includes(id) ? 2 : 1);
      expect(calls.every((c) => c.attempt === 0 && c.failed === undefined)).toBe(true);
    }
    await expectNoFailure(streams.shutdown);
  }, 90_000);
});
