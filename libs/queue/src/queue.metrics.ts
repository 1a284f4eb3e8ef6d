import { Inject, Injectable } from '@nestjs/common';
import { METRICS_REGISTRY } from '@lib/observability';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ConsumerControl } from './consumer-control';
import type { ConsumerMetrics } from './runtime/consumer-metrics';

type LabelledCounter = ReturnType<Counter<'stream'>['labels']>;

/**
 * The queue's Prometheus metrics, labelled by stream: events consumed, failed, retried and
 * dead-lettered, records in flight and (Kafka) consumer lag, read from the ConsumerControl on scrape.
 */
@Injectable()
export class QueueMetrics implements ConsumerMetrics {
  private readonly counters: Record<'consumed' | 'failed' | 'retried' | 'deadLettered', Counter<'stream'>>;
  /** Per-stream children, so the hot path does no label lookups. */
  private readonly children = new Map<string, Record<keyof QueueMetrics['counters'], LabelledCounter>>();
  private control?: ConsumerControl;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['stream'], registers: [registry] });
    this.counters = {
      consumed: counter('queue_events_consumed_total', 'Events handled successfully'),
      failed: counter('queue_events_failed_total', 'Failed handler attempts'),
      retried: counter('queue_events_retried_total', 'Events sent to a retry tier'),
      deadLettered: counter('queue_events_dead_lettered_total', 'Events sent to dead letters'),
    };
    const status = () => this.control?.status() ?? [];
    new Gauge({
      name: 'queue_events_in_flight',
      help: 'Records read and not yet finished',
      labelNames: ['stream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of status()) this.set({ stream: s.stream }, s.inFlight);
      },
    });
    new Gauge({
      name: 'queue_consumer_lag',
      help: 'Messages behind the end of the log (Kafka), summed over the assigned partitions',
      labelNames: ['stream'],
      registers: [registry],
      collect() {
        this.reset();
        for (const s of status()) if (s.lag !== undefined) this.set({ stream: s.stream }, s.lag);
      },
    });
  }

  /** Where the gauges read their values from. */
  observe(control: ConsumerControl): void {
    this.control = control;
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

  private child(stream: string) {
    let child = this.children.get(stream);
    if (!child) {
      const c = this.counters;
      child = {
        consumed: c.consumed.labels(stream),
        failed: c.failed.labels(stream),
        retried: c.retried.labels(stream),
        deadLettered: c.deadLettered.labels(stream),
      };
      this.children.set(stream, child);
    }
    return child;
  }
}
