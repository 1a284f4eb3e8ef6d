import { Inject, Module, Optional, type OnModuleInit } from '@nestjs/common';
import { APP_NAME, type ConfigOf } from '@lib/config';
import {
  ReadinessRegistry,
  ShutdownCoordinator,
  ShutdownPhase,
  StatusRegistry,
} from '@lib/lifecycle';
import { METRICS_REGISTRY } from '@lib/observability';
import { EventPublisher } from '@lib/queue';
import type { Registry } from 'prom-client';
import { spoolConfig } from './spool.config';
import { SPOOL_MODULE_OPTIONS, SPOOLING_PUBLISHER } from './spool.constants';
import { createSpoolingPublisher } from './spool.factory';
import { SpoolHealthIndicator } from './spool.health';
import { registerSpoolMetrics } from './spool.metrics';
import { spoolStatus } from './spool.status';
import { SpoolConfigurableModule, type SpoolModuleOptions } from './spool.module-definition';
import type { SpoolingPublisher } from './spooling-publisher';

/**
 * One named spool in front of the app's EventPublisher: provides the SpoolingPublisher under
 * {@link SPOOLING_PUBLISHER}, its readiness check and metrics, and its shutdown steps.
 *
 * Shutdown: the drainer stops in the Flush phase, so that its last replay has finished before
 * CloseBrokers, where QueueModule closes the EventPublisher (participants of one phase run in
 * parallel, so a drainer stopped there could race the connection close). The spool itself closes
 * in CloseBrokers: publishes made during Flush (log shipping) still reach the broker or the
 * spool, and what is left waits on disk for the next start. Not global: Nest destroys global
 * modules last.
 */
@Module({
  providers: [
    spoolConfig.provider,
    {
      provide: SPOOLING_PUBLISHER,
      inject: [
        spoolConfig.token,
        SPOOL_MODULE_OPTIONS,
        EventPublisher,
        { token: APP_NAME, optional: true },
      ],
      useFactory: (
        config: ConfigOf<typeof spoolConfig>,
        options: SpoolModuleOptions,
        inner: EventPublisher,
        appName?: string,
      ) => createSpoolingPublisher(config, options, inner, appName),
    },
    SpoolHealthIndicator,
  ],
  exports: [SPOOLING_PUBLISHER],
})
export class SpoolModule extends SpoolConfigurableModule implements OnModuleInit {
  constructor(
    @Inject(SPOOLING_PUBLISHER) private readonly publisher: SpoolingPublisher,
    private readonly indicator: SpoolHealthIndicator,
    private readonly readiness: ReadinessRegistry,
    private readonly coordinator: ShutdownCoordinator,
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry,
    @Optional() private readonly status?: StatusRegistry,
  ) {
    super();
  }

  onModuleInit(): void {
    const { name } = this.publisher.stats();
    this.readiness.register(`spool:${name}`, () => this.indicator.check());
    if (this.registry) registerSpoolMetrics(this.registry, name, () => this.publisher.stats());
    this.status?.register(`spools.${name}`, () => spoolStatus(this.publisher.stats()));
    this.coordinator.register({
      name: `spool ${name} drainer`,
      phase: ShutdownPhase.Flush,
      run: () => this.publisher.stopDraining(),
    });
    this.coordinator.register({
      name: `spool ${name}`,
      phase: ShutdownPhase.CloseBrokers,
      run: () => this.publisher.close(),
    });
  }
}
