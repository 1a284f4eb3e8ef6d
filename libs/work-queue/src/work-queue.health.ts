import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { WorkQueueHandle } from './batching-work-queue';

/**
 * Readiness of one work queue (`work-queue:<name>`): down while its flushes fail or while one
 * runs past its timeout, since nothing it receives is being made durable then.
 */
@Injectable()
export class WorkQueueHealthIndicator {
  constructor(private readonly health: HealthIndicatorService) {}

  check(queue: WorkQueueHandle) {
    const indicator = this.health.check(`work-queue:${queue.name}`);
    const status = queue.status();
    const details = { depth: status.depth, paused: status.paused };
    if (status.failing) {
      return indicator.down({
        ...details,
        message: `flush failing for ${Date.now() - status.failing.sinceMs} ms (${status.failing.attempts} attempts): ${status.failing.error}`,
      });
    }
    if (
      status.flushRunningMs !== undefined &&
      status.flushRunningMs > queue.settings.flushTimeoutMs
    ) {
      return indicator.down({
        ...details,
        message: `flush running for ${status.flushRunningMs} ms`,
      });
    }
    return indicator.up(details);
  }
}
