import { Logger, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule, isConfigError } from '@lib/config';
import {
  LifecycleModule,
  ReadinessRegistry,
  ShutdownCoordinator,
  ShutdownPhase,
} from '@lib/lifecycle';
import { METRICS_REGISTRY, MetricsModule } from '@lib/observability';
import { EventPublisher, PublishError, type OutgoingMessage } from '@lib/queue';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Registry } from 'prom-client';
import { FileSpool } from './file-spool';
import { spoolConfig } from './spool.config';
import { SPOOLING_PUBLISHER } from './spool.constants';
import { SpoolModule } from './spool.module';
import type { SpoolingPublisher } from './spooling-publisher';

/** A test double of our EventPublisher: fails on demand and records when it was closed. */
class FakeBroker extends EventPublisher {
  failing = false;
  readonly received: OutgoingMessage[] = [];
  constructor(private readonly events: string[]) {
    super();
  }
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.failing) throw new PublishError('broker unreachable');
    this.received.push(...messages);
  }
  isConnected(): boolean {
    return !this.failing;
  }
  async close(): Promise<void> {
    this.events.push('event publisher closed');
  }
}

const message = (n: number): OutgoingMessage => ({
  stream: 'page-views',
  key: 'p',
  value: { n, pageId: 'p', filler: 'x'.repeat(400) },
});

describe('SpoolModule', () => {
  let dataDir: string;
  let moduleRef: TestingModule;
  let broker: FakeBroker;
  let events: string[];

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    dataDir = await mkdtemp(join(tmpdir(), 'spool-module-'));
    events = [];
    broker = new FakeBroker(events);

    // Stands in for QueueModule: provides the app's EventPublisher and closes it in CloseBrokers.
    @Module({
      providers: [{ provide: EventPublisher, useValue: broker }],
      exports: [EventPublisher],
    })
    class FakeQueueModule {}

    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot('test-app', {
          DATA_DIR: dataDir,
          SPOOL_MAX_BYTES: String(64 * 1024),
          SPOOL_SEGMENT_BYTES: String(64 * 1024),
          BREAKER_VOLUME_THRESHOLD: '1',
          BREAKER_RESET_MS: '60000',
          SHUTDOWN_GRACE_MS: '0',
          SHUTDOWN_TIMEOUT_MS: '5000',
        }),
        LifecycleModule,
        MetricsModule,
        SpoolModule.register({ name: 'ingest', imports: [FakeQueueModule] }),
      ],
    }).compile();
    await moduleRef.init();
    moduleRef.get(ShutdownCoordinator).register({
      name: 'fake queue',
      phase: ShutdownPhase.CloseBrokers,
      run: () => broker.close(),
    });
  });

  afterEach(async () => {
    await moduleRef.close();
    await rm(dataDir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  const publisher = () => moduleRef.get<SpoolingPublisher>(SPOOLING_PUBLISHER);
  const readiness = async () => {
    const results = await Promise.all(
      moduleRef
        .get(ReadinessRegistry)
        .all()
        .map((check) => check()),
    );
    return Object.assign({}, ...results) as Record<
      string,
      { status: string; [key: string]: unknown }
    >;
  };

  it('provides a SpoolingPublisher on the app’s EventPublisher with its spool under DATA_DIR/spool/<name>', async () => {
    await publisher().publish([message(1)]);
    expect(broker.received).toHaveLength(1);
    await expect(access(join(dataDir, 'spool', 'ingest', 'spool.lock'))).resolves.toBeUndefined();
  });

  it('reports readiness up while spooling, and down only once the spool is full under reject', async () => {
    expect((await readiness())['spool:ingest']).toEqual({
      status: 'up',
      breaker: 'closed',
      depth: 0,
      bytes: 0,
      maxBytes: 64 * 1024,
      room: 64 * 1024,
      fullPolicy: 'reject',
    });

    broker.failing = true;
    await publisher().publish([message(1)]);
    const spooling = (await readiness())['spool:ingest'];
    expect(spooling).toEqual(expect.objectContaining({ status: 'up', depth: 1 }));
    expect(spooling.room).toBe(64 * 1024 - (spooling.bytes as number));
    expect(spooling.bytes).toBeGreaterThan(400);

    let full = false;
    for (let n = 2; n < 1000 && !full; n++) {
      await publisher()
        .publish([message(n)])
        .catch(() => (full = true));
    }
    expect(full).toBe(true);
    const atCap = (await readiness())['spool:ingest'];
    expect(atCap).toEqual(
      expect.objectContaining({ status: 'down', message: expect.stringContaining('full') }),
    );
    expect(atCap.room).toBeLessThan(1024);
  });

  it('exposes counters, depth, size and the breaker state on the app’s metrics registry', async () => {
    await publisher().publish([message(1), message(2)]);
    broker.failing = true;
    await publisher().publish([message(3)]);
    // The drainer's failing replays push the failure rate over 50 %.
    while (publisher().stats().breaker !== 'open') await sleep(10);
    const text = await moduleRef.get<Registry>(METRICS_REGISTRY).metrics();
    expect(text).toContain('spool_events_accepted_total{spool="ingest"} 3');
    expect(text).toContain('spool_events_published_total{spool="ingest"} 2');
    expect(text).toContain('spool_events_spooled_total{spool="ingest"} 1');
    expect(text).toContain('spool_depth_events{spool="ingest"} 1');
    expect(text).toContain('spool_breaker_state{spool="ingest"} 2');
    expect(text).toMatch(/spool_size_bytes\{spool="ingest"\} [1-9]\d*/);
    expect(text).toContain('spool_breaker_open{spool="ingest"} 1');
  });

  it('reports the oldest spooled event’s age, growing while the broker stays down', async () => {
    const registry = moduleRef.get<Registry>(METRICS_REGISTRY);
    const age = async () => {
      const text = await registry.getSingleMetricAsString('spool_oldest_event_age_seconds');
      return Number(/spool_oldest_event_age_seconds\{spool="ingest"\} (\S+)/.exec(text)?.[1]);
    };
    expect(await age()).toBe(0);
    broker.failing = true;
    await publisher().publish([message(1)]);
    const first = await age();
    await sleep(300);
    await publisher().publish([message(2)]); // a newer event does not make the oldest younger
    const later = await age();
    expect(later - first).toBeGreaterThanOrEqual(0.29);
    expect(later).toBeLessThan(5);
  });

  it('stops the drainer in Flush, before the publisher closes, and leaves the rest in the spool', async () => {
    broker.failing = true;
    for (let n = 0; n < 5; n++) await publisher().publish([message(n)]);
    const stop = jest.spyOn(publisher(), 'stopDraining');
    stop.mockImplementation(async function (this: SpoolingPublisher) {
      await sleep(50); // a replay in flight
      events.push('drainer stopped');
    });

    await moduleRef.get(ShutdownCoordinator).shutdown();

    expect(events).toEqual(['drainer stopped', 'event publisher closed']);
    await expect(publisher().publish([message(9)])).rejects.toThrow(/closed/);
    // The spool was closed (its directory is free again) and kept the unsent events.
    const spool = await FileSpool.open({ directory: join(dataDir, 'spool', 'ingest') });
    expect(spool.depth()).toBe(5);
    await spool.close();
  });
});

describe('spoolConfig', () => {
  it('has the documented defaults', () => {
    expect(spoolConfig.load({})).toEqual({
      DATA_DIR: './data',
      SPOOL_MAX_BYTES: 1024 ** 3,
      SPOOL_FULL_POLICY: 'reject',
      PUBLISH_ACK_TIMEOUT_MS: 150,
      SPOOL_BLOCK_TIMEOUT_MS: 5000,
      SPOOL_SEGMENT_BYTES: 8 * 1024 ** 2,
      BREAKER_TIMEOUT_MS: 5000,
      BREAKER_RESET_MS: 5000,
      BREAKER_ERROR_PERCENT: 50,
      BREAKER_VOLUME_THRESHOLD: 5,
    });
  });

  it('rejects an unknown policy and segments larger than the cap, naming the variable', () => {
    const errorOf = (env: Record<string, string>) => {
      try {
        spoolConfig.load(env);
      } catch (error) {
        if (isConfigError(error)) return error;
      }
      throw new Error('expected a ConfigError');
    };
    expect(errorOf({ SPOOL_FULL_POLICY: 'drop' }).variable).toBe('SPOOL_FULL_POLICY');
    expect(errorOf({ BREAKER_ERROR_PERCENT: '0' }).variable).toBe('BREAKER_ERROR_PERCENT');
    const tooLarge = errorOf({
      SPOOL_MAX_BYTES: String(1024 * 1024),
      SPOOL_SEGMENT_BYTES: String(2 * 1024 * 1024),
    });
    expect(tooLarge.variable).toBe('SPOOL_SEGMENT_BYTES');
    expect(tooLarge.message).toContain('SPOOL_MAX_BYTES');
  });
});
