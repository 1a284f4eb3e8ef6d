/**
 * Paced tick publishing with latency markers, for the `aggregator` benchmark: ticks go out at a
 * fixed rate; every `markerEveryMs` one of them has a symbol of its own, and a poller asks the
 * database every few ms which markers are visible. Latency = visible − handed to the producer.
 */
import { Partitioners, type Kafka, type Message } from 'kafkajs';

/** What a paced run measured. */
export interface PacedResult {
  readonly sent: number;
  readonly seconds: number;
  /** Marker latencies, ms, sorted. */
  readonly latencies: number[];
  /** Markers not visible within the wait after the run. */
  readonly missing: number;
}

/** Options of {@link runPaced}. */
export interface PacedOptions {
  readonly topic: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly markerEveryMs: number;
  /** The i-th tick's message; `symbol` overrides its symbol (markers). */
  readonly tickAt: (i: number, symbol?: string) => Message;
  /** Of these symbols, the ones stored so far. */
  readonly visible: (symbols: string[]) => Promise<string[]>;
  readonly pollMs?: number;
  /** How long to wait for the last markers after the run. */
  readonly settleMs?: number;
}

/** Publishes at the rate for the duration and returns the marker latencies. */
export async function runPaced(kafka: Kafka, options: PacedOptions): Promise<PacedResult> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling || sentAt.size > 0) {
      const outstanding = [...sentAt.keys()];
      if (outstanding.length > 0) {
        const seen = await options.visible(outstanding);
        const now = performance.now();
        for (const symbol of seen) {
          latencies.push(now - sentAt.get(symbol)!);
          sentAt.delete(symbol);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 5));
    }
  })();
  const started = performance.now();
  const end = started + options.seconds * 1000;
  const sends: Promise<unknown>[] = [];
  let sent = 0;
  let markers = 0;
  let nextMarker = started;
  for (let now = performance.now(); now < end; now = performance.now()) {
    const due = Math.floor(((now - started) / 1000) * options.ratePerSecond) - sent;
    if (due > 0) {
      const messages: Message[] = [];
      let marker: string | undefined;
      for (let k = 0; k < due; k++) {
        if (marker === undefined && now >= nextMarker) {
          marker = `LAT${markers++}`;
          nextMarker += options.markerEveryMs;
          messages.push(options.tickAt(sent + k, marker));
        } else messages.push(options.tickAt(sent + k));
      }
      if (marker !== undefined) sentAt.set(marker, performance.now());
      sends.push(producer.send({ topic: options.topic, messages, acks: -1 }));
      sent += due;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(sends);
  const settleUntil = performance.now() + (options.settleMs ?? 30_000);
  while (sentAt.size > 0 && performance.now() < settleUntil)
    await new Promise((resolve) => setTimeout(resolve, 20));
  const missing = sentAt.size;
  polling = false;
  sentAt.clear();
  await poller;
  await producer.disconnect();
  return { sent, seconds, latencies: latencies.sort((a, b) => a - b), missing };
}

/** The p-th percentile (0–100) of sorted values. */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
