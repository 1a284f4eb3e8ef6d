import { setTimeout as sleep } from 'node:timers/promises';

/** One request of a {@link TimedLoad}: when it was sent, how long it took, how it ended. */
export interface TimedRequest {
  readonly sentAt: number;
  readonly latencyMs: number;
  /** HTTP status, or 0 when it failed without an answer. */
  readonly status: number;
  /** The eventIds of the request and the page each is for. */
  readonly events: ReadonlyArray<{ eventId: string; pageId: string }>;
}

/** Options of {@link TimedLoad}. */
export interface TimedLoadOptions {
  /** Base URL of ingest. */
  readonly url: string;
  /** Prefix of eventIds and pageIds, unique per test. */
  readonly prefix: string;
  /** The `occurredAt` of every event, so that all of them count on one day. */
  readonly occurredAt: string;
  /** Pages the views are spread over. */
  readonly pages: number;
}

/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Open-loop page-view traffic to ingest (requests start on schedule whether or not earlier ones
 * were answered, like real clients), recording each request's send time, latency and status.
 */
export class TimedLoad {
  readonly requests: TimedRequest[] = [];
  private readonly pending = new Set<Promise<void>>();
  private sent = 0;
  private running?: Promise<void>;
  private stopping = false;

  constructor(private readonly options: TimedLoadOptions) {}

  /** Starts sending `ratePerSecond` requests of `batchSize` views until {@link stop}. */
  start(ratePerSecond: number, batchSize: number): void {
    this.stopping = false;
    this.running = this.run(ratePerSecond, batchSize);
  }

  /** Stops sending and waits for every answer. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Requests sent in [from, to) (epoch ms). */
  sentBetween(from: number, to: number): TimedRequest[] {
    return this.requests.filter((r) => r.sentAt >= from && r.sentAt < to);
  }

  /** Accepted views per page (requests answered 202). */
  acceptedPerPage(): Map<string, number> {
    const perPage = new Map<string, number>();
    for (const request of this.requests) {
      if (request.status !== 202) continue;
      for (const { pageId } of request.events) perPage.set(pageId, (perPage.get(pageId) ?? 0) + 1);
    }
    return perPage;
  }

  /** The eventIds of every request answered 202. */
  acceptedEventIds(): string[] {
    return this.requests
      .filter((r) => r.status === 202)
      .flatMap((r) => r.events.map((e) => e.eventId));
  }

  private async run(ratePerSecond: number, batchSize: number): Promise<void> {
    const started = Date.now();
    const interval = 1000 / ratePerSecond;
    let fired = 0;
    while (!this.stopping) {
      const due = Math.floor((Date.now() - started) / interval) + 1;
      while (fired < due && !this.stopping) {
        fired++;
        this.fire(batchSize);
      }
      await sleep(Math.max(1, interval / 2));
    }
  }

  private fire(batchSize: number): void {
    const request = this.sent++;
    const { prefix, pages, occurredAt } = this.options;
    const events = Array.from({ length: batchSize }, (_, i) => ({
      eventId: `${prefix}-${request}-${i}`,
      pageId: `${prefix}-page-${(request * batchSize + i) % pages}`,
    }));
    const body = events.map((e) => ({ ...e, visitorId: `v-${request % 97}`, occurredAt }));
    const sentAt = Date.now();
    const work = fetch(`${this.options.url}/v1/page-views`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        return response.status;
      })
      .catch(() => 0)
      .then((status) => {
        this.requests.push({ sentAt, latencyMs: Date.now() - sentAt, status, events });
      })
      .finally(() => this.pending.delete(work));
    this.pending.add(work);
  }
}
