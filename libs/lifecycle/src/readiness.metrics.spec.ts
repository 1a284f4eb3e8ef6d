import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ConfigModule } from '@lib/config';
import { METRICS_REGISTRY, MetricsModule } from '@lib/observability';
import type { Registry } from 'prom-client';
import { HealthController } from './health.controller';
import { LifecycleModule } from './lifecycle.module';
import { READINESS_OUTCOME_MAX_AGE_MS } from './readiness.metrics';
import { ReadinessRegistry } from './readiness.registry';

describe('readiness_dependency_up', () => {
  let moduleRef: TestingModule;
  let registry: Registry;
  let databaseUp: boolean;
  let databaseRuns: number;

  beforeEach(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot('test-app', {}), LifecycleModule, MetricsModule],
    }).compile();
    await moduleRef.init();
    registry = moduleRef.get(METRICS_REGISTRY);
    const health = moduleRef.get(HealthIndicatorService);
    const readiness = moduleRef.get(ReadinessRegistry);
    databaseUp = true;
    databaseRuns = 0;
    readiness.register('database', () => {
      databaseRuns++;
      const indicator = health.check('database');
      return databaseUp ? indicator.up() : indicator.down({ message: 'no answer within 1000 ms' });
    });
    readiness.register('spool:ingest', () => health.check('spool:ingest').up());
    readiness.register('broker', () => {
      throw new Error('a check that throws counts as down');
    });
  });

  afterEach(async () => {
    await moduleRef.close();
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  const gauge = () => registry.getSingleMetricAsString('readiness_dependency_up');

  it('runs the checks at a scrape when no readiness probe ran them: 1 up, 0 down or throwing', async () => {
    const text = await gauge();
    expect(text).toContain('readiness_dependency_up{dependency="database"} 1');
    expect(text).toContain('readiness_dependency_up{dependency="spool:ingest"} 1');
    expect(text).toContain('readiness_dependency_up{dependency="broker"} 0');
    expect(text).not.toContain('lifecycle');
    expect(databaseRuns).toBe(1);
  });

  it('reuses what /health/ready found while it is recent, and checks again once it is old', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    databaseUp = false;
    await moduleRef
      .get(HealthController)
      .ready()
      .catch(() => undefined);
    expect(databaseRuns).toBe(1);
    databaseUp = true;
    expect(await gauge()).toContain('readiness_dependency_up{dependency="database"} 0');
    expect(databaseRuns).toBe(1);

    jest.advanceTimersByTime(READINESS_OUTCOME_MAX_AGE_MS + 1);
    expect(await gauge()).toContain('readiness_dependency_up{dependency="database"} 1');
    expect(databaseRuns).toBe(2);
  });
});
