import { Logger } from '@nestjs/common';
import { lifecycleConfig } from './lifecycle.config';
import { ShutdownPhase } from './shutdown-phase';
import { ShutdownCoordinator } from './shutdown.coordinator';

const TIMEOUT_MS = 1_000;

function newCoordinator(): ShutdownCoordinator {
  const config = lifecycleConfig.load({
    SHUTDOWN_GRACE_MS: '0',
    SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
  });
  return new ShutdownCoordinator(config, 'test-app');
}

/** A promise and the function that settles it, to hold a participant open. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ShutdownCoordinator', () => {
  let errors: jest.SpyInstance;

  beforeEach(() => {
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('runs phases in order, whatever the registration order', async () => {
    const coordinator = newCoordinator();
    const order: string[] = [];
    const participant = (name: string, phase: ShutdownPhase) =>
      coordinator.register({
        name,
        phase,
        run: async () => {
          await tick();
          order.push(name);
        },
      });
    participant('database', ShutdownPhase.CloseDatabase);
    participant('flush', ShutdownPhase.Flush);
    participant('http intake', ShutdownPhase.StopIntake);
    participant('brokers', ShutdownPhase.CloseBrokers);
    participant('readiness', ShutdownPhase.Readiness);
    participant('drain', ShutdownPhase.Drain);

    await coordinator.shutdown();

    expect(order).toEqual(['readiness', 'http intake', 'drain', 'flush', 'brokers', 'database']);
    expect(errors).not.toHaveBeenCalled();
  });

  it('runs the participants of one phase in parallel and the next phase only after all of them', async () => {
    const coordinator = newCoordinator();
    const events: string[] = [];
    const first = deferred();
    const second = deferred();
    coordinator.register({
      name: 'consumer a',
      phase: ShutdownPhase.Drain,
      run: async () => {
        events.push('a started');
        await first.promise;
        events.push('a done');
      },
    });
    coordinator.register({
      name: 'consumer b',
      phase: ShutdownPhase.Drain,
      run: async () => {
        events.push('b started');
        await second.promise;
        events.push('b done');
      },
    });
    coordinator.register({
      name: 'database',
      phase: ShutdownPhase.CloseDatabase,
      run: () => void events.push('database'),
    });

    const done = coordinator.shutdown();
    await tick();
    expect(events).toEqual(['a started', 'b started']);
    second.resolve();
    await tick();
    expect(events).toEqual(['a started', 'b started', 'b done']);
    first.resolve();
    await done;
    expect(events).toEqual(['a started', 'b started', 'b done', 'a done', 'database']);
  });

  it('reports a participant that hangs past SHUTDOWN_TIMEOUT_MS by name and still runs later phases', async () => {
    const coordinator = newCoordinator();
    let databaseClosedAt: number | undefined;
    coordinator.register({
      name: 'stuck consumer',
      phase: ShutdownPhase.Drain,
      run: () => new Promise<void>(() => undefined),
    });
    coordinator.register({
      name: 'database',
      phase: ShutdownPhase.CloseDatabase,
      run: () => {
        databaseClosedAt = Date.now();
      },
    });

    const started = Date.now();
    await coordinator.shutdown();
    const elapsed = Date.now() - started;

    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1_000);
    expect(databaseClosedAt).toBeDefined();
    expect(databaseClosedAt! - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(errors.mock.calls[0][0]).toContain('stuck consumer');
    expect(errors.mock.calls[0][0]).toContain('Drain');
    expect(errors.mock.calls[0][0]).toContain('did not finish before the shutdown timeout');
  });

  it('logs a participant that throws and goes on with the same and later phases', async () => {
    const coordinator = newCoordinator();
    const ran: string[] = [];
    coordinator.register({
      name: 'broken publisher',
      phase: ShutdownPhase.CloseBrokers,
      run: () => {
        throw new Error('socket already closed');
      },
    });
    coordinator.register({
      name: 'rejecting consumer',
      phase: ShutdownPhase.CloseBrokers,
      run: () => Promise.reject(new Error('channel gone')),
    });
    coordinator.register({
      name: 'other broker',
      phase: ShutdownPhase.CloseBrokers,
      run: () => void ran.push('other broker'),
    });
    coordinator.register({
      name: 'database',
      phase: ShutdownPhase.CloseDatabase,
      run: () => void ran.push('database'),
    });

    await expect(coordinator.shutdown()).resolves.toBeUndefined();

    expect(ran).toEqual(['other broker', 'database']);
    const messages = errors.mock.calls.map((call) => String(call[0]));
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/broken publisher.*failed.*socket already closed/),
        expect.stringMatching(/rejecting consumer.*failed.*channel gone/),
      ]),
    );
  });

  it('reports a clean outcome when every participant finished, and names the ones that hung or threw', async () => {
    const clean = newCoordinator();
    clean.register({ name: 'intake', phase: ShutdownPhase.StopIntake, run: () => void tick() });
    expect(clean.outcome).toBeUndefined();
    await clean.shutdown();
    expect(clean.outcome).toEqual(
      expect.objectContaining({ clean: true, unfinished: [], failed: [] }),
    );

    const troubled = newCoordinator();
    troubled.register({
      name: 'stuck consumer',
      phase: ShutdownPhase.Drain,
      run: () => new Promise<void>(() => undefined),
    });
    troubled.register({
      name: 'broken publisher',
      phase: ShutdownPhase.CloseBrokers,
      run: () => Promise.reject(new Error('socket already closed')),
    });
    troubled.register({
      name: 'database',
      phase: ShutdownPhase.CloseDatabase,
      run: () => void tick(),
    });
    await troubled.shutdown();
    expect(troubled.outcome).toEqual(
      expect.objectContaining({
        clean: false,
        unfinished: ['stuck consumer'],
        failed: ['broken publisher'],
      }),
    );
  });

  it('runs once when shutdown() is called twice (and from Nest’s hook)', async () => {
    const coordinator = newCoordinator();
    const run = jest.fn(async () => {
      await tick();
    });
    coordinator.register({ name: 'intake', phase: ShutdownPhase.StopIntake, run });

    expect(coordinator.isShuttingDown).toBe(false);
    const first = coordinator.shutdown('SIGTERM');
    expect(coordinator.isShuttingDown).toBe(true);
    const second = coordinator.shutdown('SIGINT');
    expect(second).toBe(first);
    await Promise.all([first, second, coordinator.beforeApplicationShutdown('SIGTERM')]);

    expect(run).toHaveBeenCalledTimes(1);
  });

  it('does not run a participant whose registration was removed', async () => {
    const coordinator = newCoordinator();
    const run = jest.fn();
    const unregister = coordinator.register({ name: 'gone', phase: ShutdownPhase.Drain, run });
    unregister();
    unregister();
    await coordinator.shutdown();
    expect(run).not.toHaveBeenCalled();
  });
});
