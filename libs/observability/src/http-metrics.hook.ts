import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { UNMATCHED_ROUTE } from './logging/request-log.hook';
import { registeredMetric } from './registered-metric';

/** Name of the request duration histogram. */
export const HTTP_REQUEST_DURATION = 'http_request_duration_seconds';

/** From a fast cached read (~1 ms) to a slow batch (10 s), as the request log sees them. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Observes every answered request in `http_request_duration_seconds{method,route,status}`: the
 * route is its pattern (`/v1/page-views/:pageId`, never the URL with its ids), `(unmatched)` when
 * no route matched, and the duration is Fastify's `reply.elapsedTime`, the figure the request log
 * records too.
 */
export function installHttpMetricsHook(fastify: FastifyInstance, registry: Registry): void {
  const histogram = registeredMetric(
    registry,
    HTTP_REQUEST_DURATION,
    () =>
      new Histogram({
        name: HTTP_REQUEST_DURATION,
        help: 'Time from receiving a request to sending its response, by route pattern',
        labelNames: ['method', 'route', 'status'],
        buckets: BUCKETS,
        registers: [registry],
      }),
  );
  fastify.addHook('onResponse', (request, reply, done) => {
    try {
      histogram.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? UNMATCHED_ROUTE,
          status: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    } catch {
      // A metric must never fail a request that has already been answered.
    }
    done();
  });
}
