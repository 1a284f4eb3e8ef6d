import CircuitBreaker from 'opossum';
import { QueueError, type OutgoingMessage } from '@lib/queue';

/** The breaker's state as reported in stats, health and metrics. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** When publishes count as failing and how long the breaker stays open. */
export interface BreakerSettings {
  /** A publish slower than this counts as a failure (and the caller's events are spooled). */
  readonly timeoutMs: number;
  /** How long the breaker stays open before one probe publish is let through. */
  readonly resetMs: number;
  /** Failure percentage within the rolling window that opens the breaker. */
  readonly errorPercent: number;
  /** Publishes within the rolling window before the percentage is looked at. */
  readonly volumeThreshold: number;
  /** The rolling window the percentage is computed over. */
  readonly rollingWindowMs: number;
}

/** Defaults of {@link BreakerSettings}. */
export const BREAKER_DEFAULTS: BreakerSettings = {
  timeoutMs: 5_000,
  resetMs: 5_000,
  errorPercent: 50,
  volumeThreshold: 5,
  rollingWindowMs: 10_000,
};

type Publish = (messages: readonly OutgoingMessage[]) => Promise<void>;

/**
 * An opossum circuit breaker around a publish function, reduced to what the spooling publisher
 * needs: fire, the state, whether a call would be let through, and state changes.
 */
export class PublishBreaker {
  private readonly breaker: CircuitBreaker<[readonly OutgoingMessage[]], void>;

  constructor(publish: Publish, settings: Partial<BreakerSettings>, name: string) {
    const s = { ...BREAKER_DEFAULTS, ...settings };
    this.breaker = new CircuitBreaker(publish, {
      name,
      timeout: s.timeoutMs,
      resetTimeout: s.resetMs,
      errorThresholdPercentage: s.errorPercent,
      volumeThreshold: s.volumeThreshold,
      rollingCountTimeout: s.rollingWindowMs,
      // A broker that refuses a message for good (too large, …) is up: that must not open the
      // breaker. opossum counts such a filtered error as a success.
      errorFilter: (error: unknown) => error instanceof QueueError && !error.retriable,
      rollingPercentilesEnabled: false,
    });
  }

  /** Publishes through the breaker; rejects at once while it is open. */
  fire(messages: readonly OutgoingMessage[]): Promise<void> {
    return this.breaker.fire(messages);
  }

  /** The current state. */
  get state(): BreakerState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half-open';
    return 'closed';
  }

  /** True when a call now would reach the publisher: closed, or half-open with the probe free. */
  get allowsCall(): boolean {
    return this.breaker.closed || this.breaker.pendingClose;
  }

  /** True for the breaker's own fast refusal (open, probe taken, shut down), not a publish failure. */
  isRefusal(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return (
      error instanceof Error &&
      CircuitBreaker.isOurError(error) &&
      (code === 'EOPENBREAKER' || code === 'ESHUTDOWN')
    );
  }

  /** Calls `listener` with the new state whenever the breaker opens, half-opens or closes. */
  onChange(listener: (state: BreakerState) => void): void {
    this.breaker.on('open', () => listener('open'));
    this.breaker.on('halfOpen', () => listener('half-open'));
    this.breaker.on('close', () => listener('closed'));
  }

  /** Stops the breaker's timers; later calls are refused. */
  shutdown(): void {
    this.breaker.shutdown();
  }
}
