import { rmqStreamTopology } from './rmq-topology';

describe('rmqStreamTopology', () => {
  it('names every queue as docs/contract.md says, with TTL tiers that dead-letter to G.S through the default exchange', () => {
    const topology = rmqStreamTopology('pv-counter', 'page-views', [10_000, 1_000, 10_000, 60_000]);
    expect(topology.exchange).toBe('page-views');
    expect(topology.queue).toEqual({
      name: 'pv-counter.page-views',
      arguments: { 'x-queue-type': 'classic' },
    });
    expect(topology.failedQueue).toEqual({
      name: 'pv-counter.page-views.failed',
      arguments: { 'x-queue-type': 'classic' },
    });
    expect(topology.retryQueues).toEqual(
      [
        ['1s', 1_000],
        ['10s', 10_000],
        ['1m', 60_000],
      ].map(([suffix, delayMs]) => ({
        name: `pv-counter.page-views.retry.${suffix}`,
        delayMs,
        arguments: {
          'x-queue-type': 'classic',
          'x-message-ttl': delayMs,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': 'pv-counter.page-views',
        },
      })),
    );
  });

  it('has no retry queues for a policy without retries', () => {
    expect(rmqStreamTopology('g', 's', []).retryQueues).toEqual([]);
  });
});
