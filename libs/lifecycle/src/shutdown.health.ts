import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ShutdownCoordinator } from './shutdown.coordinator';

/** Reports down once shutdown has begun, so load balancers stop routing here first. */
@Injectable()
export class ShutdownHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly coordinator: ShutdownCoordinator,
  ) {}

  check() {
    const indicator = this.health.check('lifecycle');
    return this.coordinator.isShuttingDown
      ? indicator.down({ message: 'shutting down' })
      : indicator.up();
  }
}
