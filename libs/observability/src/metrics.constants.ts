/** Injection token of the app's own prom-client Registry (apps sharing a process keep separate ones). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
