import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule } from '@lib/config';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { LifecycleModule } from './lifecycle.module';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownCoordinator } from './shutdown.coordinator';

/** Status and body of a terminus answer: a HealthCheck route throws its 503 with the body. */
async function answer(route: () => Promise<unknown>): Promise<{ status: number; body: unknown }> {
  try {
    return { status: 200, body: await route() };
  } catch (error) {
    const failure = error as { getStatus?: () => number; getResponse?: () => unknown };
    if (!failure.getStatus) throw error;
    return { status: failure.getStatus(), body: failure.getResponse?.() };
  }
}

describe('HealthController', () => {
  let moduleRef: TestingModule;
  let controller: HealthController;
  let registry: ReadinessRegistry;
  let health: HealthIndicatorService;
  let spoolRoom = 100;

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot('test-app', { SHUTDOWN_GRACE_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000' }),
        LifecycleModule,
      ],
    }).compile();
    await moduleRef.init();
    controller = moduleRef.get(HealthController);
    registry = moduleRef.get(ReadinessRegistry);
    health = moduleRef.get(HealthIndicatorService);
    spoolRoom = 100;
    registry.register('broker', () =>
      health.check('kafka').up({ state: 'unreachable', publisher: 'disconnected' }),
    );
    registry.register('spool:ingest', () => {
      const indicator = health.check('spool:ingest');
      return spoolRoom > 0
        ? indicator.up({ depth: 7, room: spoolRoom })
        : indicator.down({ depth: 9, room: 0, message: 'spool full' });
    });
  });

  afterEach(async () => {
    await moduleRef.close();
    jest.restoreAllMocks();
  });

  it('is ready with every dependency’s state in the body, an unreachable broker shown as info', async () => {
    const ready = await answer(() => controller.ready());
    expect(ready).toEqual({
      status: 200,
      body: expect.objectContaining({
        status: 'ok',
        info: {
          lifecycle: { status: 'up' },
          kafka: { status: 'up', state: 'unreachable', publisher: 'disconnected' },
          'spool:ingest': { status: 'up', depth: 7, room: 100 },
        },
        error: {},
      }),
    });
  });

  it('answers 503 while a needed dependency is down, naming it, and liveness stays 200', async () => {
    spoolRoom = 0;
    const ready = await answer(() => controller.ready());
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual(
      expect.objectContaining({
        status: 'error',
        error: { 'spool:ingest': { status: 'down', depth: 9, room: 0, message: 'spool full' } },
      }),
    );
    expect(await answer(() => controller.live())).toEqual({
      status: 200,
      body: expect.objectContaining({ status: 'ok' }),
    });
  });

  it('answers 503 from the moment shutdown begins, while liveness stays 200', async () => {
    const done = moduleRef.get(ShutdownCoordinator).shutdown('SIGTERM');
    const ready = await answer(() => controller.ready());
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual(
      expect.objectContaining({
        error: { lifecycle: { status: 'down', message: 'shutting down' } },
      }),
    );
    expect((await answer(() => controller.live())).status).toBe(200);
    await done;
  });
});
