import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link SteadyLoad}. */
export interface SteadyLoadOptions {
  /** Base URL of ingest. */
  readonly url: string;
  /** Requests started per second (default 50). */
  readonly ratePerSecond?: number;
  /** Page views per request (default 4). */
  readonly batchSize?: number;
  /** Prefix of the client eventIds, unique per test. */
  readonly idPrefix: string;
  /** Per-request client timeout (default 30 s: a publish may wait out the breaker's timeout). */
  readonly timeoutMs?: number;
}

/** One request that did not end in 202. */
export interface LoadFailure {
  readonly request: number;
  readonly outcome: string;
}

/** What a load run did. */
export interface LoadSummary {
  readonly requests: number;
  readonly accepted: number;
  readonly failures: LoadFailure[];
  /** The eventIds of every request answered 202. */
  readonly eventIds: string[];
  readonly elapsedMs: number;
  readonly maxLatencyMs: number;
}

/**
 * Sends page-view batches with client eventIds at a steady rate, without waiting for answers (an
 * open-loop client, like real traffic that does not slow down because the broker is down), and
 * records every outcome.
 */
export class SteadyLoad {
  private readonly rate: number;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private readonly pending = new Set<Promise<void>>();
  private readonly failures: LoadFailure[] = [];
  private readonly eventIds: string[] = [];
  private requests = 0;
  private acceptedCount = 0;
  private maxLatencyMs = 0;
  private startedAt = 0;
  private loop?: Promise<void>;
  private stopping = false;

  constructor(private readonly options: SteadyLoadOptions) {
    this.rate = options.ratePerSecond ?? 50;
    this.batchSize = options.batchSize ?? 4;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Requests answered 202 so far. */
  get accepted(): number {
    return this.acceptedCount;
  }

  /** Requests that ended otherwise so far. */
  get failed(): number {
    return this.failures.length;
  }

  /** Milliseconds since start. */
  get elapsedMs(): number {
    return this.startedAt ? Date.now() - this.startedAt : 0;
  }

  start(): void {
    this.startedAt = Date.now();
    this.loop = this.run();
  }

  /** Stops sending and waits for every request under way. */
  async stop(): Promise<LoadSummary> {
    this.stopping = true;
    await this.loop;
    const elapsedMs = this.elapsedMs;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    return {
      requests: this.requests,
      accepted: this.acceptedCount,
      failures: this.failures,
      eventIds: this.eventIds,
      elapsedMs,
      maxLatencyMs: this.maxLatencyMs,
    };
  }

  private async run(): Promise<void> {
    const interval = 1000 / this.rate;
    while (!this.stopping) {
      // Catch up by schedule rather than sleeping a fixed interval, so a slow event loop on a
      // busy machine still sends the intended rate.
      const due = Math.floor(this.elapsedMs / interval) + 1;
      while (this.requests < due && !this.stopping) this.fire(this.requests++);
      await sleep(Math.max(1, interval / 2));
    }
  }

  private fire(request: number): void {
    const ids = Array.from(
      { length: this.batchSize },
      (_, i) => `${this.options.idPrefix}-${request}-${i}`,
    );
    const body = ids.map((eventId, i) => ({
      pageId: `page-${(request + i) % 17}`,
      visitorId: `v-${request % 101}`,
      eventId,
    }));
    const sentAt = Date.now();
    const work = fetch(`${this.options.url}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    })
      .then(async (response) => {
        const text = await response.text();
        if (response.status !== 202) throw new Error(`${response.status} ${text.slice(0, 300)}`);
        const receipt = JSON.parse(text) as { eventIds: string[] };
        if (receipt.eventIds.join() !== ids.join())
          throw new Error(`202 with other eventIds: ${text.slice(0, 300)}`);
        this.acceptedCount++;
        this.eventIds.push(...ids);
      })
      .catch((error: Error) => {
        this.failures.push({ request, outcome: error.message });
      })
      .finally(() => {
        this.maxLatencyMs = Math.max(this.maxLatencyMs, Date.now() - sentAt);
        this.pending.delete(work);
      });
    this.pending.add(work);
  }
}
