import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';
import { MetricsController } from './metrics.controller';

function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
