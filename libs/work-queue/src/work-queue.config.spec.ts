import { ConfigError } from '@lib/config';
import { workQueueConfig } from './work-queue.config';

describe('workQueueConfig', () => {
  it('has the documented defaults and leaves FLUSH_INTERVAL_MS to the app', () => {
    expect(workQueueConfig.load({})).toEqual({
      WORK_QUEUE_HIGH_WATERMARK: 100_000,
      WORK_QUEUE_LOW_WATERMARK: 50_000,
      DEDUPE_RETENTION_HOURS: 24,
    });
    expect(workQueueConfig.load({ FLUSH_INTERVAL_MS: '15' }).FLUSH_INTERVAL_MS).toBe(15);
  });

  it('fails with one line naming the variable when the watermarks are the wrong way round', () => {
    const load = () =>
      workQueueConfig.load({ WORK_QUEUE_HIGH_WATERMARK: '10', WORK_QUEUE_LOW_WATERMARK: '10' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(
      'Invalid configuration: WORK_QUEUE_LOW_WATERMARK="10": expected less than WORK_QUEUE_HIGH_WATERMARK (10)',
    );
    expect(() => workQueueConfig.load({ FLUSH_INTERVAL_MS: '0' })).toThrow(/FLUSH_INTERVAL_MS="0"/);
  });
});
