import { Logger } from '@nestjs/common';
import { lifecycleConfig, ReadinessRegistry, ShutdownCoordinator } from '@lib/lifecycle';
import type { BrokerHealthIndicator } from './broker.health';
import { QueueLifecycle } from './queue.lifecycle';
import type { QueueDriver } from './queue-driver';
import type { QueueMetrics } from './queue.metrics';

describe('QueueLifecycle', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('stops intake, drains, commits and then closes the broker connections, in that order', async () => {
    const calls: string[] = [];
    const step = (name: string) => async () => {
      await new Promise((r) => setTimeout(r, 5));
      calls.push(name);
    };
    const transport = {
      stopIntake: step('stop intake'),
      drain: step('drain'),
      flush: step('flush'),
      control: {},
    };
    const deadLetters = {};
    const driver = { transport, deadLetters, close: step('close') } as unknown as QueueDriver;
    const coordinator = new ShutdownCoordinator(
      lifecycleConfig.load({ SHUTDOWN_GRACE_MS: '0' }),
      'test',
    );
    const readiness = new ReadinessRegistry();
    const health = {
      check: () => ({ memory: { status: 'up' } }),
    } as unknown as BrokerHealthIndicator;
    const metrics = { observe: jest.fn() } as unknown as QueueMetrics;
    new QueueLifecycle(driver, coordinator, readiness, health, metrics).onModuleInit();
    coordinator.register({ name: 'database', phase: 5, run: step('database') });

    await coordinator.shutdown();

    expect(calls).toEqual(['stop intake', 'drain', 'flush', 'close', 'database']);
    expect(readiness.all()).toHaveLength(1);
    expect(metrics.observe).toHaveBeenCalledWith(transport.control, deadLetters);
  });
});
