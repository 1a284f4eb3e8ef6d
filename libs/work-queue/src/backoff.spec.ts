import { backoffDelay, DEFAULT_FLUSH_BACKOFF } from './backoff';

describe('backoffDelay', () => {
  it('doubles from 50 ms and stops at the 2 s cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((attempt) => backoffDelay(attempt));
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    expect(DEFAULT_FLUSH_BACKOFF.maxMs).toBe(2000);
  });

  it('follows a given policy', () => {
    expect(backoffDelay(3, { initialMs: 10, factor: 3, maxMs: 1000 })).toBe(90);
  });
});
