import { Controller, Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, type MessageHandler } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { of } from 'rxjs';
import type { IncomingEvent } from '../incoming-event';
import { invokeHandler, PassThroughRpcFilter, QueueContext } from './handler-invoker';
import { QueueServer } from './queue-server';

class CustomError extends Error {
  override readonly name = 'CustomError';
}

/** A transport that only collects Nest's registered handlers. */
class CollectingServer extends QueueServer {
  readonly broker = 'test';
  protected async start(): Promise<void> {}
  stopIntake(): void {}
  async drain(): Promise<void> {}
  async flush(): Promise<void> {}
  protected async shutdown(): Promise<void> {}
  pauseStream(): void {}
  resumeStream(): void {}
  isHealthy(): boolean {
    return true;
  }
  consumerStatus() {
    return [];
  }
}

const seen: unknown[] = [];

@Controller()
class TestController {
  @EventPattern('throws')
  throws(): void {
    throw new CustomError('original');
  }

  @EventPattern('rejects')
  async rejects(): Promise<void> {
    throw new CustomError('async original');
  }

  @EventPattern('observable')
  observable() {
    return of(1, 2, 3);
  }

  @EventPattern('context')
  context(@Payload() event: IncomingEvent, @Ctx() ctx: QueueContext) {
    seen.push([event.eventId, ctx.getStream(), ctx.getTransport()]);
  }
}

@Module({ controllers: [TestController] })
class TestModule {}

describe('invokeHandler with Nest handlers', () => {
  let app: INestMicroservice;
  let server: CollectingServer;
  let errorLogs: jest.SpyInstance;
  const event = { eventId: 'e1' } as IncomingEvent;
  const handler = (pattern: string) => server.getHandlers().get(pattern) as MessageHandler;

  beforeAll(async () => {
    server = new CollectingServer();
    app = await NestFactory.createMicroservice(TestModule, { strategy: server, logger: false });
    app.useGlobalFilters(new PassThroughRpcFilter());
    await app.listen();
    errorLogs = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    await app.close();
    errorLogs.mockRestore();
  });

  it('rejects with the original error of a throwing handler, unlogged by Nest', async () => {
    const error = await invokeHandler(
      handler('throws'),
      event,
      new QueueContext('throws', 'test'),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CustomError);
    expect((error as Error).message).toBe('original');
    const rejected = await invokeHandler(
      handler('rejects'),
      event,
      new QueueContext('rejects', 'test'),
    ).catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(CustomError);
    expect(errorLogs).not.toHaveBeenCalled();
  });

  it('runs an Observable result to completion and returns its last value', async () => {
    await expect(
      invokeHandler(handler('observable'), event, new QueueContext('observable', 'test')),
    ).resolves.toBe(3);
  });

  it('passes the QueueContext to @Ctx()', async () => {
    await invokeHandler(handler('context'), event, new QueueContext('context', 'kafka'));
    expect(seen).toEqual([['e1', 'context', 'kafka']]);
  });

  it('turns a non-Error rejection into an Error with its text', async () => {
    const weird = Object.assign(
      async () => Promise.reject({ status: 'error', message: 'Internal server error' }),
      { isEventHandler: true },
    );
    const error = await invokeHandler(
      weird as MessageHandler,
      event,
      new QueueContext('x', 'test'),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Internal server error');
  });
});
