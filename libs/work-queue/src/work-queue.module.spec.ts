/**
 * WorkQueueModule in a Nest app: it registers its PostgreSQL OffsetStore with the QueueModule's
 * registry, keeps offsets and de-duplication under the QueueModule's consumer group, queues get
 * their config, readiness and backpressure, and the shutdown flushes every queue (resolving
 * pending add()s) before the database closes.
 */
import { ConfigModule } from '@lib/config';
import { DatabaseModule } from '@lib/database';
import {
  LifecycleModule,
  ReadinessRegistry,
  ShutdownCoordinator,
  ShutdownPhase,
} from '@lib/lifecycle';
import { MetricsModule, METRICS_REGISTRY } from '@lib/observability';
import { CONSUMER_GROUP, ConsumerControl, OffsetStoreRegistry } from '@lib/queue';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { createThrowawayDatabase } from '@test/support';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import {
  dailyViews,
  dailyViewsShape,
  FakeConsumerControl,
  pageViewEvent,
  storedOffsets,
  upsertDailyViews,
  type DailyViews,
  type PageView,
} from '../test/work-queue.fixtures';
import { PgOffsetStore } from './offsets/pg-offset-store';
import { WorkQueueClosedError } from './work-queue.errors';
import { WorkQueueModule } from './work-queue.module';
import { WorkQueueRegistry } from './work-queue.registry';

describe('WorkQueueModule', () => {
  it('wires queues to config, readiness and backpressure, and flushes them before the database closes', async () => {
    const url = await createThrowawayDatabase('wq_module');
    const env = {
      DATABASE_URL: url,
      DATABASE_POOL_SIZE: '2',
      BROKER: 'kafka',
      FLUSH_INTERVAL_MS: '60000',
      WORK_QUEUE_HIGH_WATERMARK: '4',
      WORK_QUEUE_LOW_WATERMARK: '1',
      SHUTDOWN_GRACE_MS: '0',
    };
    const control = new FakeConsumerControl();

    /** Stands in for the global QueueModule: its ConsumerControl, group and OffsetStoreRegistry. */
    @Global()
    @Module({
      providers: [
        { provide: ConsumerControl, useValue: control },
        // Not the app's name: the group the QueueModule resolved is the one to use.
        { provide: CONSUMER_GROUP, useValue: 'pv-shadow' },
        OffsetStoreRegistry,
      ],
      exports: [ConsumerControl, CONSUMER_GROUP, OffsetStoreRegistry],
    })
    class FakeQueueModule {}

    const app = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot('pv-test', env),
        LifecycleModule,
        MetricsModule,
        DatabaseModule,
        FakeQueueModule,
        WorkQueueModule.register({ defaultFlushIntervalMs: 100 }),
      ],
    }).compile();
    await app.init();

    const store = app.get(OffsetStoreRegistry).store!;
    expect(store).toBeInstanceOf(PgOffsetStore);
    expect(store).toBe(app.get(PgOffsetStore));
    await app
      .get(DataSource)
      .query(
        'CREATE TABLE wq_test_daily_views (day date, page_id text, views bigint, PRIMARY KEY (day, page_id))',
      );
    const queue = app.get(WorkQueueRegistry).aggregate<PageView, DailyViews>({
      name: 'daily',
      ...dailyViewsShape(),
      write: (runner, batch) => upsertDailyViews.run(runner, batch),
    });
    expect(queue.settings).toMatchObject({
      group: 'pv-shadow',
      dedupeScope: 'pv-shadow/daily',
      flushIntervalMs: 60_000, // FLUSH_INTERVAL_MS beats the app's default
      trackOffsets: true, // BROKER=kafka
      highWatermark: 4,
      lowWatermark: 1,
    });
    expect(await store.load('pv-shadow', 'page-views')).toEqual([]);

    const view = { day: '2026-07-01', pageId: 'home' };
    await queue.add(pageViewEvent(view, { offset: 0 })); // an idle queue flushes at once
    const order: string[] = [];
    const pending = queue.add([1, 2, 3, 4].map((offset) => pageViewEvent(view, { offset })));
    void pending.then(() => order.push('add() resolved'));
    expect(control.paused.has('page-views')).toBe(true); // 4 ≥ high watermark

    const [check] = app.get(ReadinessRegistry).all().slice(-1);
    expect(await check()).toEqual({ 'work-queue:daily': { status: 'up', depth: 4, paused: true } });
    const registry = app.get<Registry>(METRICS_REGISTRY);
    expect(await registry.getSingleMetricAsString('work_queue_flush_events')).toMatch(
      /work_queue_flush_events_count\{queue="daily"\} 1/,
    );

    let atDatabaseClose: Record<string, number> = {};
    app.get(ShutdownCoordinator).register({
      name: 'spy on the database close',
      phase: ShutdownPhase.CloseDatabase,
      run: async () => {
        order.push('database closing');
        atDatabaseClose = await dailyViews(url);
      },
    });
    await app.close(); // runs the shutdown coordinator, as SIGTERM does

    expect(order).toEqual(['add() resolved', 'database closing']);
    expect(atDatabaseClose).toEqual({ '2026-07-01|home': 5 });
    expect(await storedOffsets(url, 'pv-shadow')).toEqual({ 'page-views[0]': '5' });
    expect(await storedOffsets(url, 'pv-test')).toEqual({});
    expect(control.calls.at(-1)).toMatchObject({ action: 'resume', stream: 'page-views' });
    await expect(queue.add(pageViewEvent(view, { offset: 5 }))).rejects.toBeInstanceOf(
      WorkQueueClosedError,
    );
  });
});
