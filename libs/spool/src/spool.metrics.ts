import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerState } from './publish-breaker';
import type { SpoolingPublisherStats } from './spooling-publisher';

type StatsSource = () => SpoolingPublisherStats;
type Read = (stats: SpoolingPublisherStats) => number;

/** `spool_breaker_state` values. */
export const BREAKER_STATE_VALUES: Record<BreakerState, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

const COUNTERS: ReadonlyArray<readonly [string, string, Read]> = [
  ['spool_events_accepted_total', 'Events handed to the spooling publisher.', (s) => s.accepted],
  ['spool_events_published_total', 'Events the broker acknowledged directly.', (s) => s.published],
  [
    'spool_events_spooled_total',
    'Events written to the local spool instead of the broker.',
    (s) => s.spooled,
  ],
  [
    'spool_events_replayed_total',
    'Spooled events the broker acknowledged on replay.',
    (s) => s.replayed,
  ],
  [
    'spool_events_rejected_total',
    'Events refused to the caller (spool full, closed, refused by the broker).',
    (s) => s.rejected,
  ],
  [
    'spool_events_dropped_total',
    'Spooled events deleted unsent by the drop-oldest policy.',
    (s) => s.dropped,
  ],
];

const GAUGES: ReadonlyArray<readonly [string, string, Read]> = [
  ['spool_depth_events', 'Events waiting in the spool.', (s) => s.depth],
  ['spool_size_bytes', 'Bytes waiting in the spool.', (s) => s.bytes],
  [
    'spool_breaker_state',
    'Publish circuit breaker: 0 closed, 1 half-open, 2 open.',
    (s) => BREAKER_STATE_VALUES[s.breaker],
  ],
  [
    'spool_breaker_open',
    '1 while the publish circuit breaker is open (events go to the spool), else 0.',
    (s) => (s.breaker === 'open' ? 1 : 0),
  ],
  [
    'spool_oldest_event_age_seconds',
    'Age of the oldest event waiting in the spool (0 when it is empty).',
    (s) => (s.oldestAt === undefined ? 0 : Math.max(0, Date.now() - s.oldestAt) / 1000),
  ],
];

// Apps may run several spools on one registry: each metric keeps its spools and reads them at
// scrape time, labelled `spool`. Pull, not push, so the publish path does no metric work.
class SpoolCounter extends Counter<'spool'> {
  readonly sources = new Map<string, StatsSource>();
}

class SpoolGauge extends Gauge<'spool'> {
  readonly sources = new Map<string, StatsSource>();
}

/** Adds a spool's counters and gauges (label `spool=<name>`) to the app's registry. */
export function registerSpoolMetrics(registry: Registry, name: string, source: StatsSource): void {
  for (const [metric, help, read] of COUNTERS) {
    const counter =
      existing(registry, metric, SpoolCounter) ?? newCounter(registry, metric, help, read);
    counter.sources.set(name, source);
  }
  for (const [metric, help, read] of GAUGES) {
    const gauge = existing(registry, metric, SpoolGauge) ?? newGauge(registry, metric, help, read);
    gauge.sources.set(name, source);
  }
}

function existing<M>(
  registry: Registry,
  name: string,
  kind: new (...args: never[]) => M,
): M | undefined {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  if (metric instanceof kind) return metric;
  throw new Error(`metric ${name} is already registered and is not a spool metric`);
}

function newCounter(registry: Registry, name: string, help: string, read: Read): SpoolCounter {
  const counter: SpoolCounter = new SpoolCounter({
    name,
    help,
    labelNames: ['spool'],
    registers: [registry],
    collect: () => {
      // The publisher keeps the totals; the counter mirrors them at each scrape.
      counter.reset();
      for (const [spool, source] of counter.sources) counter.inc({ spool }, read(source()));
    },
  });
  return counter;
}

function newGauge(registry: Registry, name: string, help: string, read: Read): SpoolGauge {
  const gauge: SpoolGauge = new SpoolGauge({
    name,
    help,
    labelNames: ['spool'],
    registers: [registry],
    collect: () => {
      for (const [spool, source] of gauge.sources) gauge.set({ spool }, read(source()));
    },
  });
  return gauge;
}
