import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry, ShutdownCoordinator, ShutdownPhase } from '@lib/lifecycle';
import { BrokerHealthIndicator } from './broker.health';
import { QUEUE_DRIVER } from './queue.constants';
import type { QueueDriver } from './queue-driver';
import { QueueMetrics } from './queue.metrics';

/**
 * Puts the queue into the app's shutdown order and readiness: consumers stop fetching with the
 * rest of the intake, in-flight handlers finish, offsets are committed, then publishers and
 * connections close (before the database, which closes last).
 */
@Injectable()
export class QueueLifecycle implements OnModuleInit {
  constructor(
    @Inject(QUEUE_DRIVER) private readonly driver: QueueDriver,
    private readonly coordinator: ShutdownCoordinator,
    private readonly readiness: ReadinessRegistry,
    private readonly health: BrokerHealthIndicator,
    private readonly metrics: QueueMetrics,
  ) {}

  onModuleInit(): void {
    const { transport } = this.driver;
    this.metrics.observe(transport.control, this.driver.deadLetters);
    this.readiness.register('broker', () => this.health.check());
    const step = (name: string, phase: ShutdownPhase, run: () => Promise<void> | void) =>
      this.coordinator.register({ name: `queue ${name}`, phase, run });
    step('consumers stop fetching', ShutdownPhase.StopIntake, () => transport.stopIntake());
    step('in-flight handlers', ShutdownPhase.Drain, () => transport.drain());
    step('offset commit', ShutdownPhase.Flush, () => transport.flush());
    step('broker connections', ShutdownPhase.CloseBrokers, () => this.driver.close());
  }
}
