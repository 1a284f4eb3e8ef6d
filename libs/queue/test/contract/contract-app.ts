import { Controller, Module, type Type } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PlatformModule, createHttpApp } from '@lib/platform';
import {
  Batch,
  connectQueueConsumers,
  KeyedConcurrency,
  queueConfig,
  QueueModule,
  Retry,
  type BatchResult,
  type EventMetadata,
  type IncomingEvent,
  type QueueContext,
} from '@lib/queue';
import type { ContractBroker } from './contract-broker';
import { freePort } from '@test/support';

/** The streams of one suite run (unique names, so runs never see each other's messages). */
export interface ContractStreams {
  readonly ordered: string;
  readonly flaky: string;
  readonly failing: string;
  readonly strict: string;
  readonly mixed: string;
  readonly replay: string;
  readonly batched: string;
  readonly restart: string;
  readonly paused: string;
  readonly plain: string;
}

/** One handler call as the test controller saw it. */
export interface Call {
  readonly event: IncomingEvent<Record<string, unknown>>;
  /** `context.metadataOf(event)` during the call. */
  readonly meta: EventMetadata;
  /** The handler's context, to look up copies of the event afterwards. */
  readonly context: QueueContext;
  readonly at: number;
}

/** What the handlers record and the switches the tests flip. */
export class Probe {
  readonly calls = new Map<string, Call[]>();
  readonly batchSizes: number[] = [];
  running = 0;
  maxRunning = 0;
  replayBroken = true;

  /** Records a call; returns the event's metadata. */
  record(stream: string, event: IncomingEvent, context: QueueContext): EventMetadata {
    const list = this.calls.get(stream) ?? [];
    const meta = context.metadataOf(event);
    list.push({
      event: event as IncomingEvent<Record<string, unknown>>,
      meta,
      context,
      at: Date.now(),
    });
    this.calls.set(stream, list);
    return meta;
  }

  of(stream: string): Call[] {
    return this.calls.get(stream) ?? [];
  }
}

/** A handler failure with a class name of its own, as recorded in `x-error-class`. */
export class FlakyDependencyError extends Error {
  override readonly name = 'FlakyDependencyError';
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A controller with only the restart case's handler, for the apps that restart. */
export function restartController(stream: string, probe: Probe, delayMs: number): Type {
  @Controller()
  class RestartController {
    @EventPattern(stream)
    async restart(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(stream, event, context);
      await pause(delayMs);
    }
  }
  return RestartController;
}

/** The test controller: one handler per case, on the run's unique stream names. */
export function contractController(s: ContractStreams, probe: Probe): Type {
  @Controller()
  class ContractController {
    @EventPattern(s.ordered)
    @KeyedConcurrency(4)
    async ordered(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.running++;
      probe.maxRunning = Math.max(probe.maxRunning, probe.running);
      probe.record(s.ordered, event, context);
      await pause(Math.random() * 3);
      probe.running--;
    }

    @EventPattern(s.flaky)
    @Retry({ delaysMs: [200, 400] })
    flaky(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      const { attempt } = probe.record(s.flaky, event, context);
      if (attempt < 2) throw new FlakyDependencyError(`attempt ${attempt} fails`);
    }

    @EventPattern(s.failing)
    @Retry({ delaysMs: [100], maxAttempts: 2 })
    failing(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(s.failing, event, context);
      throw new FlakyDependencyError('always fails');
    }

    @EventPattern(s.strict)
    @Retry({ delaysMs: [100] })
    strict(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(s.strict, event, context);
    }

    @EventPattern(s.mixed)
    @Retry({ delaysMs: [1_500] })
    mixed(@Payload() event: IncomingEvent<{ fail?: boolean }>, @Ctx() context: QueueContext) {
      const { attempt } = probe.record(s.mixed, event, context);
      if (event.payload.fail && attempt === 0)
        throw new FlakyDependencyError('first attempt fails');
    }

    @EventPattern(s.replay)
    @Retry({ delaysMs: [100], maxAttempts: 2 })
    replay(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(s.replay, event, context);
      if (probe.replayBroken) throw new FlakyDependencyError('broken until replay');
    }

    @EventPattern(s.plain)
    plain(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(s.plain, event, context);
    }

    @EventPattern(s.paused)
    paused(@Payload() event: IncomingEvent, @Ctx() context: QueueContext) {
      probe.record(s.paused, event, context);
    }

    @EventPattern(s.batched)
    @Batch(50)
    @Retry({ delaysMs: [100] })
    batched(
      @Payload() events: IncomingEvent<{ poison?: boolean }>[],
      @Ctx() context: QueueContext,
    ): BatchResult {
      probe.batchSizes.push(events.length);
      for (const event of events) probe.record(s.batched, event, context);
      // A filtered copy of the array: the metadata is still found by the events themselves.
      const poisoned = events.filter(
        (e) => e.payload.poison && context.metadataOf(e).attempt === 0,
      );
      return {
        failed: poisoned.map((e) => ({
          eventId: e.eventId,
          error: new FlakyDependencyError('poison'),
        })),
      };
    }
  }
  return ContractController;
}

@Module({})
class ContractRootModule {}

/** A running app of the suite: its Nest app and Fastify's `inject` for the admin routes. */
export interface ContractApp {
  readonly app: NestFastifyApplication;
  request(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts an app named `group` (its consumer group) with the given controller on the broker. */
export async function startContractApp(
  broker: ContractBroker,
  group: string,
  controller: Type,
  env: Record<string, string> = {},
): Promise<ContractApp> {
  @Module({ controllers: [controller] })
  class ContractFeatureModule {}
  const created = await createHttpApp({
    name: group,
    defaultPort: await freePort(),
    env: { ...broker.env(), LOG_LEVEL: 'error', SHUTDOWN_GRACE_MS: '0', ...env },
    module: (env) => ({
      module: ContractRootModule,
      imports: [
        PlatformModule.forRoot(group, env),
        QueueModule.forRoot(broker.queueOptions?.() ?? {}),
        ContractFeatureModule,
      ],
    }),
    configs: [queueConfig],
    beforeListen: connectQueueConsumers,
  });
  await created.listen();
  const fastify = created.app.getHttpAdapter().getInstance();
  return {
    app: created.app,
    async request(method, url, body) {
      const response = await fastify.inject({
        method,
        url,
        payload: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      });
      const json = String(response.headers['content-type'] ?? '').startsWith('application/json');
      return {
        status: response.statusCode,
        body: json ? JSON.parse(response.body) : response.body,
      };
    },
    close: () => created.app.close(),
  };
}
