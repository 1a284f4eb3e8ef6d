import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';
import { MetricsController } from './metrics.controller';

/**
 * prom-client's gauges that end in `_total`, which Prometheus keeps for counters (`promtool check
 * metrics` flags them); `nodejs_active_handles` and the others, by type, remain, and their sum is
 * the same figure.
 */
const GAUGES_NAMED_LIKE_COUNTERS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of GAUGES_NAMED_LIKE_COUNTERS) registry.removeSingleMetric(name);
  return registry;
}

/** The app's metrics registry and the `/metrics` route. Global so any lib can add its metrics. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [{ provide: METRICS_REGISTRY, useFactory: createRegistry }],
  exports: [METRICS_REGISTRY],
})
export class MetricsModule {}
