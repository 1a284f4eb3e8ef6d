import { Registry } from 'prom-client';
import { createQueueMetrics } from './work-queue.metrics';

describe('createQueueMetrics', () => {
  it('counts failed flushes per queue in work_queue_flush_failures_total, from 0', async () => {
    const registry = new Registry();
    const daily = createQueueMetrics(registry, 'daily');
    const hourly = createQueueMetrics(registry, 'hourly');
    expect(await registry.getSingleMetricAsString('work_queue_flush_failures_total')).toMatch(
      /work_queue_flush_failures_total\{queue="hourly"\} 0/,
    );

    daily.flushed(0.01, 'ok', 10, 3);
    daily.flushed(1.5, 'failed', 12, 0);
    daily.flushed(2.5, 'failed', 12, 0);
    hourly.flushed(0.02, 'ok', 4, 1);

    const text = await registry.metrics();
    expect(text).toMatch(/work_queue_flush_failures_total\{queue="daily"\} 2/);
    expect(text).toMatch(/work_queue_flush_failures_total\{queue="hourly"\} 0/);
    expect(text).toMatch(
      /work_queue_flush_duration_seconds_count\{queue="daily",outcome="failed"\} 2/,
    );
    // Sizes are those of committed flushes only.
    expect(text).toMatch(/work_queue_flush_events_count\{queue="daily"\} 1/);
  });
});
