/**
 * MergeSchedule with a recording merge: it merges the shards in turn, one per tenth of the
 * interval, retries a failing shard with backoff before moving on, and merges everything once
 * more when the shutdown stops it.
 */
import { Logger } from '@nestjs/common';
import { ShutdownPhase, type ShutdownCoordinator, type ShutdownParticipant } from '@lib/lifecycle';
import { waitFor } from '@test/support';
import { MergeSchedule, type ScheduledMerge } from './merge-schedule';
import { MERGE_SHARDS } from './merge-shards';

describe('MergeSchedule', () => {
  const logger = new Logger('merge-schedule.spec');

  let participants: ShutdownParticipant[];
  let shutdown: ShutdownCoordinator;

  beforeEach(() => {
    participants = [];
    shutdown = {
      register: (p: ShutdownParticipant) => participants.push(p),
    } as unknown as ShutdownCoordinator;
    jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    jest.spyOn(logger, 'log').mockImplementation(() => undefined);
  });

  function recording(
    failFirst = 0,
  ): ScheduledMerge & { calls: Array<[string, number]>; at: number[] } {
    let failures = failFirst;
    const calls: Array<[string, number]> = [];
    const at: number[] = [];
    return {
      calls,
      at,
      what: 'test merge',
      waiting: 'the rows',
      intervalMs: () => 200,
      mergeAll(deadline, shard) {
        if (shard === undefined) {
          calls.push(['all', deadline]);
          return Promise.resolve(0);
        }
        expect(deadline).toBe(Infinity);
        calls.push(['shard', shard]);
        at.push(Date.now());
        if (failures > 0) {
          failures--;
          return Promise.reject(new Error('database down'));
        }
        return Promise.resolve(1);
      },
    };
  }

  it('merges each shard in turn, one every interval / MERGE_SHARDS', async () => {
    const merge = recording();
    const schedule = new MergeSchedule(merge, logger);
    const started = Date.now();
    schedule.start(shutdown);
    schedule.start(shutdown); // idempotent: one loop, one participant
    expect(participants.map((p) => [p.name, p.phase])).toEqual([
      ['test merge', ShutdownPhase.CloseBrokers],
    ]);
    await waitFor(() => (merge.calls.length >= MERGE_SHARDS + 2 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    await participants[0].run(); // the shutdown stops it
    const shards = merge.calls.filter(([kind]) => kind === 'shard').map(([, shard]) => shard);
    expect(shards.slice(0, MERGE_SHARDS + 2)).toEqual([
      ...Array.from({ length: MERGE_SHARDS }, (_, i) => i),
      0,
      1,
    ]);
    // Ticks of 20 ms: a whole round takes about the 200 ms interval, not ten intervals.
    expect(merge.at[MERGE_SHARDS] - started).toBeGreaterThanOrEqual(200);
    expect(merge.at[MERGE_SHARDS] - started).toBeLessThan(2_000);
    const last = merge.calls[merge.calls.length - 1];
    expect(last[0]).toBe('all');
    expect(last[1]).toBeGreaterThan(Date.now() - 100);
    expect(last[1]).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it('retries a failing shard with growing waits before going on to the next', async () => {
    const merge = recording(2);
    const schedule = new MergeSchedule(merge, logger);
    schedule.start(shutdown);
    await waitFor(() => (merge.calls.length >= 4 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 5,
    });
    await schedule.stop();
    expect(merge.calls.slice(0, 4)).toEqual([
      ['shard', 0],
      ['shard', 0],
      ['shard', 0],
      ['shard', 1],
    ]);
    // 20 ms tick, then 40 and 80 ms after the failures, then the tick again.
    expect(merge.at[2] - merge.at[1]).toBeGreaterThan(merge.at[1] - merge.at[0]);
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('test merge failed (attempt 1), the rows wait'),
    );
  });
});
