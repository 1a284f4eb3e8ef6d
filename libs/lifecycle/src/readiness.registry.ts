import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A readiness check of one dependency (database, broker, …). */
export type ReadinessCheck = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

/** Collects the readiness checks that libs contribute, so `/health/ready` covers every dependency. */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();

  /** Adds (or replaces) the check for one dependency. */
  register(key: string, check: ReadinessCheck): void {
    this.checks.set(key, check);
  }

  /** All registered checks, in registration order. */
  all(): ReadinessCheck[] {
    return [...this.checks.values()];
  }
}
