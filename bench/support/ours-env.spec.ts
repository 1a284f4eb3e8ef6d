import { oursEnv } from './ours-env';

describe('oursEnv (BENCH_OURS_ENV)', () => {
  it('reads NAME=value pairs separated by commas', () => {
    expect(oursEnv('FLUSH_INTERVAL_MS=15, VIEW_MERGE_INTERVAL_MS=1000')).toEqual({
      FLUSH_INTERVAL_MS: '15',
      VIEW_MERGE_INTERVAL_MS: '1000',
    });
    expect(oursEnv('')).toEqual({});
  });

  it('refuses an entry that is not NAME=value', () => {
    expect(() => oursEnv('FLUSH_INTERVAL_MS')).toThrow('"FLUSH_INTERVAL_MS" is not NAME=value');
    expect(() => oursEnv('flush=1')).toThrow('is not NAME=value');
  });
});
