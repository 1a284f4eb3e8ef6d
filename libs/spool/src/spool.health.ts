import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { SPOOLING_PUBLISHER } from './spool.constants';
import type { SpoolingPublisher } from './spooling-publisher';

/**
 * Readiness of a spooling publisher: up while it can take events durably (broker up, or room in
 * the spool; the breaker open still means intake works); down only when the spool is full under
 * the `reject` policy, i.e. when publishing fails for callers, so that load balancers send the
 * traffic elsewhere. The details show the breaker, the spool's depth and its room left.
 */
@Injectable()
export class SpoolHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(SPOOLING_PUBLISHER) private readonly publisher: SpoolingPublisher,
  ) {}

  check() {
    const stats = this.publisher.stats();
    const indicator = this.health.check(`spool:${stats.name}`);
    const details = {
      breaker: stats.breaker,
      depth: stats.depth,
      bytes: stats.bytes,
      maxBytes: stats.maxBytes,
      room: Math.max(0, stats.maxBytes - stats.bytes),
      fullPolicy: stats.fullPolicy,
    };
    return stats.full && stats.fullPolicy === 'reject'
      ? indicator.down({ message: 'spool full and the broker unavailable', ...details })
      : indicator.up(details);
  }
}
