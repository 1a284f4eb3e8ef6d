/**
 * `/metrics` of all four apps as Prometheus scrapes them, after some traffic: every exposition
 * passes `promtool check metrics` without a lint problem, the metrics an on-call needs are there,
 * and every query of the Grafana dashboard and every alert rule names only metrics the apps export.
 * The apps run in this process as `npm start` runs them: one in-memory broker, one database.
 */
import type { Env } from '@lib/config';
import type { HttpApp } from '@lib/platform';
import { MemoryBroker, type QueueModuleOptions } from '@lib/queue';
import { createThrowawayDatabase, freePort, waitFor } from '@test/support';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { createAggregatorApp } from '../apps/aggregator/src/aggregator.app';
import { createIngestApp } from '../apps/ingest/src/ingest.app';
import { createLogCollectorApp } from '../apps/log-collector/src/log-collector.app';
import { createPvCounterApp } from '../apps/pv-counter/src/pv-counter.app';
import { declaredNames, metricNamesIn, promtool, sampleNames } from './support/promtool';

const ROOT = join(__dirname, '..');
type Create = (env: Env, queue: Pick<QueueModuleOptions, 'memoryBroker'>) => Promise<HttpApp>;
const APPS: ReadonlyArray<[string, Create]> = [
  ['log-collector', createLogCollectorApp],
  ['pv-counter', createPvCounterApp],
  ['aggregator', createAggregatorApp],
  ['ingest', createIngestApp],
];

/** The metrics the dashboard and the alerts are built on, by the app that must export each. */
const REQUIRED: Record<string, readonly string[]> = {
  ingest: [
    'http_request_duration_seconds_bucket',
    'readiness_dependency_up',
    'queue_publish_duration_seconds_bucket',
    'spool_depth_events',
    'spool_size_bytes',
    'spool_oldest_event_age_seconds',
    'spool_breaker_open',
  ],
  'pv-counter': [
    'http_request_duration_seconds_bucket',
    'readiness_dependency_up',
    'queue_handler_duration_seconds_bucket',
    'queue_consumer_lag_records',
    'queue_dead_letters',
    'work_queue_flush_duration_seconds_bucket',
    'work_queue_flush_events_bucket',
    'work_queue_flush_failures_total',
  ],
  aggregator: ['queue_handler_duration_seconds_bucket', 'queue_dead_letters', 'spool_breaker_open'],
  'log-collector': ['queue_consumer_lag_records', 'work_queue_flush_failures_total'],
};

describe('metrics of the four apps', () => {
  const started: Array<{ name: string; app: HttpApp; url: string }> = [];
  let dataDir: string;
  const scraped = new Map<string, string>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ep-metrics-'));
    const memoryBroker = new MemoryBroker();
    const databaseUrl = await createThrowawayDatabase('metrics');
    for (const [name, create] of APPS) {
      const app = await create(
        {
          BROKER: 'memory',
          DATABASE_URL: databaseUrl,
          DATA_DIR: dataDir,
          PORT: String(await freePort()),
          LOG_LEVEL: 'error',
          SHUTDOWN_GRACE_MS: '0',
        },
        { memoryBroker },
      );
      started.push({ name, app, url: await app.listen() });
    }
    const url = (name: string) => started.find((s) => s.name === name)!.url;
    const post = (path: string, body: unknown) =>
      fetch(`${url('ingest')}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const accepted = await Promise.all([
      post('/v1/page-views', [{ pageId: 'home', visitorId: 'v1' }, { pageId: 'about' }]),
      post('/v1/orders', {
        orderId: 'o1',
        storeId: 's1',
        productId: 'p1',
        quantity: 2,
        amount: 9.5,
      }),
      post('/v1/ticks', { symbol: 'ABC', price: 10.5, volume: 3 }),
      post('/v1/logs', { service: 'shop', kind: 'error', level: 'error', message: 'boom' }),
      post('/v1/delivery-results', { messageId: 'm1', channel: 'sms', status: 'sent' }),
    ]);
    expect(accepted.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await post('/v1/page-views', { nope: 1 })).status).toBe(400);
    for (const { url: base } of started) {
      await fetch(`${base}/health/ready`).then((r) => r.arrayBuffer());
      await fetch(`${base}/no/such/route/42`).then((r) => r.arrayBuffer());
    }
    await waitFor(
      async () => {
        const text = await (await fetch(`${url('pv-counter')}/metrics`)).text();
        return /work_queue_flush_events_count\{[^}]*\} [1-9]/.test(text);
      },
      { timeoutMs: 20_000, description: 'a committed flush in pv-counter' },
    );
    for (const { name, url: base } of started) {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      scraped.set(name, await response.text());
    }
  }, 120_000);

  afterAll(async () => {
    for (const { app } of started.reverse()) await app.app.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each(APPS.map(([name]) => name))('%s: /metrics passes promtool check metrics', (name) => {
    const run = promtool(['check', 'metrics'], scraped.get(name));
    expect({ status: run.status, problems: (run.stdout + run.stderr).trim() }).toEqual({
      status: 0,
      problems: '',
    });
  });

  it('exports what the dashboard and the alerts are built on', () => {
    for (const [name, metrics] of Object.entries(REQUIRED)) {
      const exported = sampleNames(scraped.get(name)!);
      expect({ app: name, missing: metrics.filter((m) => !exported.has(m)) }).toEqual({
        app: name,
        missing: [],
      });
    }
    // Route patterns and bounded labels only: no ids from the URLs.
    expect(scraped.get('ingest')).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/page-views",status="202"\} 1/,
    );
    expect([...scraped.values()].join('\n')).not.toContain('/no/such/route/42');
  });

  it('names in every dashboard panel and alert rule only metrics the apps export', async () => {
    const exported = new Set<string>();
    for (const text of scraped.values()) for (const name of declaredNames(text)) exported.add(name);
    const dashboard = JSON.parse(
      await readFile(join(ROOT, 'deploy/observability/dashboard.json'), 'utf8'),
    ) as { panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> };
    const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queryPanels.length).toBeGreaterThan(0);
    const rules = parse(await readFile(join(ROOT, 'deploy/observability/alerts.yaml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const queries = [
      ...queryPanels.flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const)),
      ...rules.groups.flatMap((g) => g.rules.map((r) => [r.alert, r.expr] as const)),
    ];
    for (const [where, expr] of queries) {
      const names = metricNamesIn(expr);
      expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
      expect({ where, unknown: names.filter((n) => !exported.has(n)) }).toEqual({
        where,
        unknown: [],
      });
    }
  });
});
