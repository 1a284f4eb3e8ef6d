/**
 * Log lines written by feature code (`new Logger('Feature')`) inside a consumer carry the ids of
 * the event being handled: a record's `eventId` with the `requestId` of its `x-request-id` header
 * and the `traceId` of its `traceparent`; a batch's `firstEventId` and `eventCount` (request and
 * trace ids only when the whole batch shares them). On the in-memory broker, RabbitMQ and Kafka.
 */
import { Controller, Logger, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { HEADERS } from '@lib/contracts';
import {
  Batch,
  EventPublisher,
  MemoryBroker,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import { testServices, uniqueName, waitFor } from '@test/support';
import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { ContractBroker } from './contract/contract-broker';
import { startContractApp, type ContractApp } from './contract/contract-app';
import { recordDeclarations } from './rabbitmq-test-helpers';

const declared = recordDeclarations();

/** One batch as the handler saw it. */
interface SeenBatch {
  readonly eventIds: string[];
}

function featureController(records: string, batches: string, seen: SeenBatch[]): Type {
  @Controller()
  class FeatureController {
    private readonly logger = new Logger('Feature');

    @EventPattern(records)
    async record(@Payload() event: IncomingEvent<{ n: number }>) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      this.logger.log({ msg: 'record handled', n: event.payload.n });
    }

    @EventPattern(batches)
    @Batch(10)
    async batch(@Payload() events: IncomingEvent[], @Ctx() _context: QueueContext) {
      seen.push({ eventIds: events.map((e) => e.eventId) });
      await Promise.resolve();
      this.logger.log('batch handled');
    }
  }
  return FeatureController;
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = (traceId: string) => `00-${traceId}-00f067aa0ba902b7-01`;

const brokers: Array<[string, () => Promise<ContractBroker & { close(): Promise<void> }>]> = [
  [
    'memory',
    async () => {
      const broker = new MemoryBroker();
      return {
        env: () => ({ BROKER: 'memory' }),
        queueOptions: () => ({ memoryBroker: broker }),
        publishRaw: async () => undefined,
        cuttablePublisher: () => Promise.reject(new Error('not used')),
        close: async () => undefined,
      };
    },
  ],
  [
    'rabbitmq',
    async () => {
      const url = testServices().rabbitmqUrl;
      return {
        env: () => ({ BROKER: 'rabbitmq', RABBITMQ_URL: url }),
        publishRaw: async () => undefined,
        cuttablePublisher: () => Promise.reject(new Error('not used')),
        close: async () => {
          const model = await amqp.connect(url);
          model.on('error', () => undefined);
          await declared.deleteAll(model);
          await model.close().catch(() => undefined);
        },
      };
    },
  ],
  [
    'kafka',
    async () => ({
      // Topics are unique per run: nothing to clean up.
      env: () => ({ BROKER: 'kafka', KAFKA_BROKERS: testServices().kafkaBrokers }),
      publishRaw: async () => undefined,
      cuttablePublisher: () => Promise.reject(new Error('not used')),
      close: async () => undefined,
    }),
  ],
];

describe.each(brokers)('log context of consumed events: %s', (_name, factory) => {
  const run = uniqueName('logctx');
  const records = `${run}-records`;
  const batches = `${run}-batches`;
  const seen: SeenBatch[] = [];
  let broker: ContractBroker & { close(): Promise<void> };
  let app: ContractApp;
  let publisher: EventPublisher;
  let stdout: string[];

  /** The JSON lines written with the `Feature` context so far. */
  const featureLines = (): Array<Record<string, unknown>> =>
    stdout
      .join('')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.context === 'Feature');

  beforeAll(async () => {
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    broker = await factory();
    app = await startContractApp(broker, `${run}-app`, featureController(records, batches, seen), {
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
    });
    publisher = app.app.get(EventPublisher);
  });

  afterAll(async () => {
    await app?.close();
    await broker?.close();
    jest.restoreAllMocks();
  });

  it("stamps a handler's lines with the event id and its request and trace ids", async () => {
    const events = [1, 2, 3].map((n) => ({ eventId: randomUUID(), n }));
    await publisher.publish(
      events.map((value, i) => ({
        stream: records,
        key: `k${i}`,
        value,
        headers: {
          [HEADERS.requestId]: `req-${value.n}`,
          ...(value.n === 3 ? {} : { [HEADERS.traceparent]: traceparent(TRACE_ID) }),
        },
      })),
    );
    await waitFor(() => featureLines().filter((l) => l.msg === 'record handled').length >= 3, {
      timeoutMs: 20_000,
      description: 'three record lines',
    });
    const lines = featureLines().filter((l) => l.msg === 'record handled');
    for (const value of events) {
      const line = lines.find((l) => l.n === value.n);
      expect(line).toEqual(
        expect.objectContaining({ eventId: value.eventId, requestId: `req-${value.n}` }),
      );
      if (value.n === 3) expect(line).not.toHaveProperty('traceId');
      else expect(line!.traceId).toBe(TRACE_ID);
    }
  });

  it("stamps a batch handler's lines with the first event id and the count", async () => {
    const values = [1, 2, 3, 4].map((n) => ({ eventId: randomUUID(), n }));
    await publisher.publish(
      values.map((value) => ({
        stream: batches,
        key: 'same-key',
        value,
        headers: { [HEADERS.requestId]: 'req-batch', [HEADERS.traceparent]: traceparent(TRACE_ID) },
      })),
    );
    await waitFor(() => seen.flatMap((b) => b.eventIds).length >= values.length, {
      timeoutMs: 20_000,
      description: 'every batched event handled',
    });
    await waitFor(
      () => featureLines().filter((l) => l.msg === 'batch handled').length >= seen.length,
      {
        timeoutMs: 5_000,
        description: 'a line per batch',
      },
    );
    const lines = featureLines().filter((l) => l.msg === 'batch handled');
    expect(lines.map((l) => [l.firstEventId, l.eventCount])).toEqual(
      seen.map((b) => [b.eventIds[0], b.eventIds.length]),
    );
    for (const line of lines) {
      expect(line).toEqual(expect.objectContaining({ requestId: 'req-batch', traceId: TRACE_ID }));
      expect(line).not.toHaveProperty('eventId');
    }
  });

  it('writes no ids on lines outside a handler', () => {
    new Logger('Feature').log('idle');
    const idle = featureLines().find((l) => l.msg === 'idle');
    for (const key of ['requestId', 'traceId', 'eventId', 'firstEventId', 'eventCount'])
      expect(idle).not.toHaveProperty(key);
  });
});
