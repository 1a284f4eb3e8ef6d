import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownHealthIndicator } from './shutdown.health';

/** Liveness (the process answers) and readiness (every dependency is up and we are not stopping). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessRegistry,
    private readonly shutdown: ShutdownHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.shutdown.check(), ...this.readiness.all()]);
  }
}
