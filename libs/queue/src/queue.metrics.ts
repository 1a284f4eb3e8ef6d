import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@lib/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConsumerControl } from './consumer-control';
import { DeadLetterDepths } from './dead-letter-depths';
import type { DeadLetterAdmin } from './dead-letters';
import type { ConsumerMetrics } from './runtime/consumer-metrics';
import type { PublishTimings } from './timed-publisher';

type LabelledCounter = ReturnType<Counter<'stream'>['labels']>;
type LabelledHistogram = ReturnType<Histogram<'stream'>['labels']>;

interface StreamChildren {
  readonly consumed: LabelledCounter;
  readonly failed: LabelledCounter;
  readonly retried: LabelledCounter;
  readonly deadLettered: LabelledCounter;
  readonly handler: LabelledHistogram;
}

/** From a cheap validating handler (< 1 ms) to a slow batch (10 s). */
const HANDLER_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** A broker round trip: ~1 ms on a local broker, up to the spool's ack bound and beyond. */
const PUBLISH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The queue's Prometheus metrics, labelled by stream: events consumed, failed, retried and
 * dead-lettered, handler and publish durations, and, read on scrape, records in flight, the lag
 * of each consumed partition (log brokers) and the dead letters waiting per stream.
 */
@Injectable()
export class QueueMetrics implements ConsumerMetrics, PublishTimings {
  private readonly counters: Record<
    'consumed' | 'failed' | 'retried' | 'deadLettered',
    Counter<'stream'>
  >;
  private readonly handlerDurations: Histogram<'stream'>;
  private readonly publishDurations: Histogram<'stream' | 'outcome'>;
  /** Per-stream children, so the hot path does no label lookups. */
  private readonly children = new Map<string, StreamChildren>();
  private control?: ConsumerControl;
  private deadLetters?: DeadLetterDepths;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['stream'], registers });
    this.counters = {
      consumed: counter('queue_events_consumed_total', 'Events handled successfully'),
      failed: counter('queue_events_failed_total', 'Failed handler attempts'),
      retried: counter('queue_events_retried_total', 'Events sent to a retry tier'),
      deadLettered: counter('queue_events_dead_lettered_total', 'Events sent to dead letters'),
    };
    this.handlerDurations = new Histogram({
      name: 'queue_handler_duration_seconds',
      help: 'Duration of one handler call (one record, or one batch with @Batch), failed or not',
      labelNames: ['stream'],
      buckets: HANDLER_BUCKETS,
      registers,
    });
    this.publishDurations = new Histogram({
      name: 'queue_publish_duration_seconds',
      help: "Time from a publish to the broker's acknowledgement, per stream of the batch",
      labelNames: ['stream', 'outcome'],
      buckets: PUBLISH_BUCKETS,
      registers,
    });
    const status = () => this.control?.status() ?? [];
    new Gauge({
      name: 'queue_events_in_flight',
      help: 'Records read and not yet finished',
      labelNames: ['stream'],
      registers,
      collect() {
        this.reset();
        for (const s of status()) this.set({ stream: s.stream }, s.inFlight);
      },
    });
    new Gauge({
      name: 'queue_consumer_lag_records',
      help: 'Records behind the end of the log (Kafka, memory), per assigned partition of the main topic',
      labelNames: ['stream', 'partition'],
      registers,
      collect() {
        this.reset();
        for (const s of status())
          for (const p of s.partitions ?? [])
            this.set({ stream: s.stream, partition: String(p.partition) }, p.lag);
      },
    });
    const deadLetters = () => this.deadLetters;
    new Gauge({
      name: 'queue_dead_letters',
      help: 'Dead letters waiting per consumed stream (counted at most every 15 s)',
      labelNames: ['stream'],
      registers,
      async collect() {
        const depths = deadLetters();
        const streams = status().map((s) => s.stream);
        const counts = depths ? await depths.current(streams) : new Map<string, number>();
        this.reset();
        for (const stream of streams) {
          const count = counts.get(stream);
          if (count !== undefined) this.set({ stream }, count);
        }
      },
    });
  }

  /** Where the gauges read their values from. */
  observe(control: ConsumerControl, deadLetters?: DeadLetterAdmin): void {
    this.control = control;
    if (deadLetters) this.deadLetters = new DeadLetterDepths(deadLetters);
  }

  consumed(stream: string, count: number): void {
    this.child(stream).consumed.inc(count);
  }

  failed(stream: string): void {
    this.child(stream).failed.inc();
  }

  retried(stream: string): void {
    this.child(stream).retried.inc();
  }

  deadLettered(stream: string): void {
    this.child(stream).deadLettered.inc();
  }

  handlerDuration(stream: string, seconds: number): void {
    this.child(stream).handler.observe(seconds);
  }

  published(stream: string, seconds: number, outcome: 'ok' | 'failed'): void {
    this.publishDurations.observe({ stream, outcome }, seconds);
  }

  private child(stream: string): StreamChildren {
    let child = this.children.get(stream);
    if (!child) {
      const c = this.counters;
      child = {
        consumed: c.consumed.labels(stream),
        failed: c.failed.labels(stream),
        retried: c.retried.labels(stream),
        deadLettered: c.deadLettered.labels(stream),
        handler: this.handlerDurations.labels(stream),
      };
      this.children.set(stream, child);
    }
    return child;
  }
}
