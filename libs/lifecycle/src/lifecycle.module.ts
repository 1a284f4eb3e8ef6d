import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AdminStatusController } from './admin-status.controller';
import { HealthController } from './health.controller';
import { lifecycleConfig } from './lifecycle.config';
import { ReadinessMetrics } from './readiness.metrics';
import { ReadinessGraceParticipant } from './readiness.participant';
import { ReadinessRegistry } from './readiness.registry';
import { ShutdownCoordinator } from './shutdown.coordinator';
import { ShutdownHealthIndicator } from './shutdown.health';
import { StatusRegistry } from './status.registry';

/**
 * Shutdown coordination, the health routes and `readiness_dependency_up`. Global so every lib can register participants and
 * readiness checks; it owns no resources, so Nest destroying it last is harmless.
 */
@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController, AdminStatusController],
  providers: [
    lifecycleConfig.provider,
    ShutdownCoordinator,
    ReadinessRegistry,
    ShutdownHealthIndicator,
    ReadinessGraceParticipant,
    ReadinessMetrics,
    StatusRegistry,
  ],
  exports: [ShutdownCoordinator, ReadinessRegistry, StatusRegistry, TerminusModule],
})
export class LifecycleModule {}
