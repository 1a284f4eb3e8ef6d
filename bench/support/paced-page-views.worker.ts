/**
 * The paced producer of the pv-counter latency measurement, in a worker thread of its own: at
 * 20 000 views/s kafkajs's producing keeps an event loop busy most of the time, and in the
 * measuring thread it delayed the poller that notices markers by hundreds of milliseconds,
 * which the measurement then counted as pv-counter's latency.
 *
 * Publishes the views of the benchmark's distribution to `page-views` in 50 ms ticks (acks=-1,
 * sends not awaited one by one so a slow acknowledgement does not slow the pace); every 100th
 * view is a marker on a page of its own on `markerDay`, named so that markers sort in publishing
 * order. Posts each tick's markers with the wall-clock time just before their send call, then a
 * `done` message.
 */
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { pageViewMessage, zipfPageViews } from './page-view-data';

/** What the measuring thread hands the worker. */
export interface PacedPageViewsInput {
  readonly brokers: string[];
  readonly day: string;
  readonly markerDay: string;
  readonly ratePerSecond: number;
  readonly seconds: number;
  readonly pages: number;
  readonly visitors: number;
}

/** What the worker posts back. */
export type PacedPageViewsMessage =
  | { readonly kind: 'published'; readonly markers: string[]; readonly at: number }
  | { readonly kind: 'done'; readonly sent: number; readonly sendMs: number };

const TICK_MS = 50;
const MARKER_EVERY = 100;

async function run(input: PacedPageViewsInput): Promise<void> {
  const perTick = Math.round((input.ratePerSecond * TICK_MS) / 1000);
  const ticks = Math.round((input.seconds * 1000) / TICK_MS);
  const views = zipfPageViews(perTick * ticks, input.pages, input.visitors);
  const tag = randomBytes(3).toString('hex');
  const kafka = new Kafka({
    clientId: 'pv-latency',
    brokers: input.brokers,
    logLevel: logLevel.NOTHING,
  });
  // Every tick's records are built before the clock starts: serializing them is the load
  // generator's work, and done on the way it would take CPU from pv-counter on a small machine.
  const planned = Array.from({ length: ticks }, (_, t) => {
    const messages: Message[] = [];
    const markers: string[] = [];
    for (let j = t * perTick; j < (t + 1) * perTick; j++) {
      if (j % MARKER_EVERY === 0) {
        // Zero-padded, so that markers sort in publishing order (the poller reads from the first unseen).
        const pageId = `lat-${tag}-${String(j).padStart(10, '0')}`;
        markers.push(pageId);
        messages.push(
          pageViewMessage(
            { eventId: pageId, pageId, visitorId: views[j].visitorId },
            input.markerDay,
          ),
        );
      } else messages.push(pageViewMessage(views[j], input.day));
    }
    return { messages, markers };
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const inFlight = new Set<Promise<unknown>>();
  const started = performance.now();
  for (let t = 0; t < ticks; t++) {
    const wait = started + t * TICK_MS - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const { messages, markers } = planned[t];
    parentPort!.postMessage({
      kind: 'published',
      markers,
      at: Date.now(),
    } satisfies PacedPageViewsMessage);
    const send = producer
      .send({ topic: 'page-views', messages, acks: -1 })
      .finally(() => inFlight.delete(send));
    inFlight.add(send);
    if (inFlight.size >= 20) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const sendMs = performance.now() - started;
  await producer.disconnect();
  parentPort!.postMessage({
    kind: 'done',
    sent: views.length,
    sendMs,
  } satisfies PacedPageViewsMessage);
}

// A rejection is unhandled and fails the worker; the measuring thread reports its 'error'.
if (parentPort) void run(workerData as PacedPageViewsInput);
