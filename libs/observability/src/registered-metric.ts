import type { Registry } from 'prom-client';

/**
 * The metric `name` of `registry`, created by `create` the first time. Several modules (or
 * several queues of one module) share an app's registry, and prom-client refuses to register a
 * name twice.
 */
export function registeredMetric<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}
