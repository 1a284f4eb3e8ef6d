import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { METRICS_REGISTRY, registeredMetric } from '@lib/observability';
import { Gauge, type Registry } from 'prom-client';
import { ReadinessRegistry } from './readiness.registry';

/** Name of the per-dependency readiness gauge. */
export const READINESS_DEPENDENCY_UP = 'readiness_dependency_up';

/**
 * Outcomes younger than this are reused at a scrape. Readiness probes usually run every few
 * seconds, so a scrape rarely runs a check itself; when nothing probes, the scrape does (every
 * registered check is cheap: in-memory state, or the database's bounded `SELECT 1`).
 */
export const READINESS_OUTCOME_MAX_AGE_MS = 10_000;

/**
 * `readiness_dependency_up{dependency}`: 1 while the dependency's readiness check is up, 0 while
 * down, labelled with the key it was registered under (`database`, `broker`, `spool:ingest`,
 * `work-queue:page-views`). The shutdown state is not a dependency and is left out.
 */
@Injectable()
export class ReadinessMetrics implements OnModuleInit {
  constructor(
    private readonly readiness: ReadinessRegistry,
    @Optional() @Inject(METRICS_REGISTRY) private readonly registry?: Registry,
  ) {}

  onModuleInit(): void {
    const registry = this.registry;
    if (!registry) return;
    const readiness = this.readiness;
    registeredMetric(
      registry,
      READINESS_DEPENDENCY_UP,
      () =>
        new Gauge({
          name: READINESS_DEPENDENCY_UP,
          help: '1 while the readiness check of the dependency is up, 0 while it is down',
          labelNames: ['dependency'],
          registers: [registry],
          async collect() {
            const current = await readiness.current(READINESS_OUTCOME_MAX_AGE_MS);
            this.reset();
            for (const [dependency, up] of current) this.set({ dependency }, up ? 1 : 0);
          },
        }),
    );
  }
}
