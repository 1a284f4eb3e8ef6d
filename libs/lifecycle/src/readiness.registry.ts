import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';

/** A readiness check of one dependency (database, broker, …). */
export type ReadinessCheck = () => Promise<HealthIndicatorResult> | HealthIndicatorResult;

interface Outcome {
  readonly up: boolean;
  /** `Date.now()` when the check settled. */
  readonly at: number;
}

/**
 * Collects the readiness checks that libs contribute, so `/health/ready` covers every dependency,
 * and remembers each check's last outcome for `readiness_dependency_up`.
 */
@Injectable()
export class ReadinessRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly outcomes = new Map<string, Outcome>();

  /** Adds (or replaces) the check for one dependency. */
  register(key: string, check: ReadinessCheck): void {
    this.checks.set(key, check);
    this.outcomes.delete(key);
  }

  /** All registered checks, in registration order; running one records its outcome. */
  all(): ReadinessCheck[] {
    return [...this.checks].map(
      ([key, check]) =>
        () =>
          this.run(key, check),
    );
  }

  /**
   * Whether each dependency is up, by the key it was registered under: the outcome of its last
   * run when that is at most `maxAgeMs` old (a readiness probe ran it), else from running it now.
   */
  async current(maxAgeMs: number): Promise<Map<string, boolean>> {
    const now = Date.now();
    await Promise.all(
      [...this.checks]
        .filter(([key]) => !(now - (this.outcomes.get(key)?.at ?? -Infinity) <= maxAgeMs))
        .map(([key, check]) => this.run(key, check).catch(() => undefined)),
    );
    const up = new Map<string, boolean>();
    for (const key of this.checks.keys()) up.set(key, this.outcomes.get(key)?.up ?? false);
    return up;
  }

  private async run(key: string, check: ReadinessCheck): Promise<HealthIndicatorResult> {
    try {
      const result = await check();
      this.outcomes.set(key, { up: isUp(result), at: Date.now() });
      return result;
    } catch (error) {
      this.outcomes.set(key, { up: false, at: Date.now() });
      throw error;
    }
  }
}

function isUp(result: HealthIndicatorResult): boolean {
  return Object.values(result).every((entry) => entry.status === 'up');
}
