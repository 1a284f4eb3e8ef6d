export { observabilityConfig } from './observability.config';
export { createLogger } from './create-logger';
export { METRICS_REGISTRY } from './metrics.constants';
export { MetricsModule } from './metrics.module';
