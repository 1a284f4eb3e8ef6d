import type { LoggerService } from '@nestjs/common';
import { HEADERS } from '@lib/contracts';
import type { IncomingEvent } from '../incoming-event';
import type { QueueContext } from './handler-invoker';
import { RedeliverError } from '../queue.errors';
import { binding, deferred, failureHandler, flush, record } from '../../test/runtime-kit';
import { LogConsumer, type LogConsumerAdapter, type PartitionOffset } from './log-consumer';
import { logRoutes } from './log-routes';

/** An adapter that records pauses, resumes and commits. */
class FakeAdapter implements LogConsumerAdapter {
  readonly events: string[] = [];
  readonly commits: PartitionOffset[][] = [];
  pause(topic: string, partition: number) {
    this.events.push(`pause ${topic}/${partition}`);
  }
  resume(topic: string, partition: number) {
    this.events.push(`resume ${topic}/${partition}`);
  }
  seek(topic: string, partition: number, offset: string) {
    this.events.push(`seek ${topic}/${partition} ${offset}`);
  }
  async commit(offsets: readonly PartitionOffset[]) {
    this.commits.push([...offsets]);
  }
}

function consumer(
  handler: (e: any) => unknown,
  maxInFlight: number,
  options: Parameters<typeof binding>[1] = {},
  logger?: LoggerService,
) {
  const b = binding(handler, options);
  const adapter = new FakeAdapter();
  const core = new LogConsumer(logRoutes([b], 'g'), adapter, {
    transport: 'test',
    maxInFlight,
    commitIntervalMs: 0,
    failures: () => failureHandler(b),
    logger,
  });
  return { core, adapter, state: core.state('orders', 0)! };
}

describe('LogConsumer', () => {
  it('pauses a partition whose window is full and resumes it below half, while handlers resolve late', async () => {
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const { core, adapter, state } = consumer(
      () => {
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
      4,
      { concurrency: 10 },
    );
    let taken = 0;
    for (let i = 0; i < 10; i++) if (core.offer(state, record(i, `k${i}`))) taken++;
    expect(taken).toBe(4);
    expect(adapter.events).toEqual(['pause orders/0']);
    await flush();
    expect(gates).toHaveLength(4); // the transport kept invoking handlers up to the window
    gates[0].resolve();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0']);
    gates[1].resolve();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0', 'resume orders/0']);
    expect(adapter.commits.at(-1)).toEqual([{ topic: 'orders', partition: 0, offset: '2' }]);
  });

  it('takes the rest of a fetched batch past the window and pauses only if handlers are still busy', async () => {
    const gate = deferred();
    const { core, adapter, state } = consumer(() => gate.promise, 2, { concurrency: 5 });
    expect(core.startBatch(state)).toBe(true);
    for (let i = 0; i < 5; i++) expect(core.offerFetched(state, record(i, `k${i}`))).toBe(true);
    core.endBatch(state);
    await flush();
    expect(adapter.events).toEqual(['pause orders/0']);
    expect(core.startBatch(state)).toBe(false);
    gate.resolve();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0', 'resume orders/0']);
    expect(core.startBatch(state)).toBe(true);
  });

  it('does not pause after a batch that fast handlers already finished', async () => {
    const { core, adapter, state } = consumer(() => undefined, 2, { batchSize: 100 });
    core.startBatch(state);
    for (let i = 0; i < 50; i++) core.offerFetched(state, record(i, 'k'));
    core.endBatch(state);
    await flush();
    await flush();
    expect(adapter.events).toEqual([]);
    expect(adapter.commits.at(-1)).toEqual([{ topic: 'orders', partition: 0, offset: '50' }]);
  });

  it('pauses a retry topic until its head record is due, without calling the handler early', async () => {
    const calls: number[] = [];
    const b = binding(
      (e: IncomingEvent, context: QueueContext) => void calls.push(context.metadataOf(e).attempt),
      {
        policy: { delaysMs: [50] },
      },
    );
    const adapter = new FakeAdapter();
    const core = new LogConsumer(logRoutes([b], 'g'), adapter, {
      transport: 'test',
      maxInFlight: 10,
      commitIntervalMs: 0,
      failures: () => failureHandler(b),
    });
    const retryTopic = 'orders.g.retry.50ms';
    const state = core.state(retryTopic, 0)!;
    const due = Date.now() + 60;
    const retry = record(0, 'a', {}, retryTopic, {
      [HEADERS.attempt]: '1',
      [HEADERS.dueAt]: String(due),
    });
    expect(core.offer(state, retry)).toBe(false);
    expect(adapter.events).toEqual([`pause ${retryTopic}/0`]);
    await new Promise((r) => setTimeout(r, 80));
    expect(adapter.events).toEqual([`pause ${retryTopic}/0`, `resume ${retryTopic}/0`]);
    expect(calls).toEqual([]);
    expect(core.offer(state, retry)).toBe(true);
    await flush();
    expect(calls).toEqual([1]);
    expect(Date.now()).toBeGreaterThanOrEqual(due);
  });

  it('pauses a stream for the user and keeps it paused across a full window', async () => {
    const gate = deferred();
    const { core, adapter, state } = consumer(() => gate.promise, 1);
    core.pause('orders', 'operator');
    expect(core.offer(state, record(0, 'a'))).toBe(false);
    expect(core.status()).toEqual([
      {
        stream: 'orders',
        paused: true,
        pausedBy: ['operator'],
        inFlight: 0,
        lag: 0,
        partitions: [],
        retryTiers: [],
      },
    ]);
    core.resume('orders', 'operator');
    expect(core.offer(state, record(0, 'a'))).toBe(true);
    core.pause('orders', 'operator');
    gate.resolve();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0', 'resume orders/0', 'pause orders/0']);
    expect(core.offer(state, record(1, 'a'))).toBe(false);
  });

  it("keeps an operator's pause when backpressure lets go of the stream, and the other way round", () => {
    const { core, adapter, state } = consumer(async () => undefined, 10);
    core.pause('orders', 'operator');
    core.pause('orders', 'backpressure');
    core.resume('orders', 'backpressure');
    expect(core.offer(state, record(0, 'a'))).toBe(false);
    expect(state.pauseReasons()).toEqual(['operator']);
    expect(core.status()[0]).toMatchObject({ paused: true, pausedBy: ['operator'] });
    core.pause('orders', 'backpressure');
    core.resume('orders', 'operator');
    expect(core.offer(state, record(0, 'a'))).toBe(false);
    expect(core.status()[0]).toMatchObject({ paused: true, pausedBy: ['backpressure'] });
    core.resume('orders', 'backpressure');
    expect(core.offer(state, record(0, 'a'))).toBe(true);
    expect(adapter.events).toEqual(['pause orders/0', 'resume orders/0']);
  });

  it('restarts a topic at new offsets: running records finish, queued ones are forgotten, commits start at the target', async () => {
    const gate = deferred();
    const handled: string[] = [];
    const { core, adapter, state } = consumer(async (e: IncomingEvent) => {
      if (e.eventId === 'e0') await gate.promise;
      handled.push(e.eventId);
    }, 10);
    for (let i = 0; i < 3; i++) core.offer(state, record(i, 'k')); // one key: e1, e2 wait for e0
    let moving = false;
    const restarting = core.restartTopic('orders', async (states) => {
      moving = true;
      expect(states).toEqual([state]);
      expect(state.pauseReasons()).toContain('offset-reset');
      return new Map([[state, '40']]);
    });
    await flush();
    expect(moving).toBe(false); // e0 still runs
    gate.resolve();
    await restarting;
    expect(handled).toEqual(['e0']);
    expect(adapter.commits.flat().map((c) => c.offset)).toEqual(['1']);
    expect(state.pipeline.commitOffset).toBe('40');
    expect(state.fetched).toBe(40);
    expect(state.pipeline.inFlight).toBe(0);
    expect(state.paused).toBe(false);
    expect(core.offer(state, record(40, 'k'))).toBe(true);
    await flush();
    expect(handled).toEqual(['e0', 'e40']);
    expect(adapter.commits.flat().map((c) => c.offset)).toEqual(['1', '41']);
  });

  it('reads a topic again from its oldest unfinished record when the move fails', async () => {
    const gate = deferred();
    const { core, adapter, state } = consumer(async (e: IncomingEvent) => {
      if (e.eventId === 'e0') await gate.promise;
    }, 10);
    for (let i = 0; i < 3; i++) core.offer(state, record(i, 'k'));
    const restarting = core.restartTopic('orders', async () => {
      throw new Error('database down');
    });
    gate.resolve();
    await expect(restarting).rejects.toThrow('database down');
    expect(adapter.events).toContain('seek orders/0 1');
    expect(state.fetched).toBe(1);
    expect(state.paused).toBe(false);
    expect(state.pipeline.commitOffset).toBe('1');
  });

  it('stops intake for good, drains and commits on flush', async () => {
    const gate = deferred();
    const b = binding(() => gate.promise);
    const adapter = new FakeAdapter();
    const core = new LogConsumer(logRoutes([b], 'g'), adapter, {
      transport: 'test',
      maxInFlight: 10,
      commitIntervalMs: 60_000,
      failures: () => failureHandler(b),
    });
    const state = core.state('orders', 0)!;
    core.offer(state, record(0, 'a'));
    core.stopIntake();
    expect(core.offer(state, record(1, 'a'))).toBe(false);
    let drained = false;
    const draining = core.drain().then(() => (drained = true));
    await flush();
    expect(drained).toBe(false);
    gate.resolve();
    await draining;
    expect(adapter.commits).toEqual([]);
    await core.flush();
    expect(adapter.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
    core.dispose();
  });

  it('reads a partition again from a record that asks for redelivery, without retry or dead letter', async () => {
    const seen: string[] = [];
    let asked = false;
    const { core, adapter, state } = consumer((e: IncomingEvent) => {
      seen.push(e.eventId);
      if (e.eventId === 'e1' && !asked) {
        asked = true;
        throw new RedeliverError('fenced');
      }
    }, 10);
    for (let i = 0; i < 3; i++) core.offer(state, record(i, 'k'));
    await flush();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0', 'seek orders/0 1', 'resume orders/0']);
    expect(state.pauseReasons()).toEqual([]);
    expect(adapter.commits.flat().map((c) => c.offset)).toEqual(['1']);
    // The broker hands the records from offset 1 on again.
    for (let i = 1; i < 3; i++) expect(core.offer(state, record(i, 'k'))).toBe(true);
    await flush();
    expect(seen).toEqual(['e0', 'e1', 'e1', 'e2']);
    expect(
      adapter.commits
        .flat()
        .map((c) => c.offset)
        .at(-1),
    ).toBe('3');
  });

  it('takes nothing while a redelivery waits for running work, and does not seek after stop-intake', async () => {
    const gate = deferred();
    const { core, adapter, state } = consumer(
      (e: IncomingEvent) => {
        if (e.eventId === 'e0') throw new RedeliverError('closed');
        return gate.promise;
      },
      10,
      { concurrency: 2 },
    );
    core.offer(state, record(0, 'a'));
    core.offer(state, record(1, 'b'));
    await flush();
    expect(state.pauseReasons()).toEqual(['redeliver']);
    expect(core.offer(state, record(2, 'b'))).toBe(false);
    expect(core.offerFetched(state, record(2, 'b'))).toBe(false);
    core.stopIntake();
    gate.resolve();
    await core.drain();
    await flush();
    expect(adapter.events).toEqual(['pause orders/0']);
    expect(state.pauseReasons()).toEqual(['stopped']);
    await core.flush();
    expect(adapter.commits).toEqual([]); // offset 0 was never finished: a restart reads it again
  });

  it('offers an offset whose commit failed again with the next commit', async () => {
    const warn = jest.fn();
    const { core, adapter, state } = consumer(
      () => undefined,
      10,
      {},
      { log: () => undefined, error: () => undefined, warn },
    );
    let fail = true;
    const commit = adapter.commit.bind(adapter);
    adapter.commit = async (offsets) => {
      if (fail) throw new Error('rebalancing');
      await commit(offsets);
    };
    core.offer(state, record(0, 'a'));
    await flush();
    expect(adapter.commits).toEqual([]);
    fail = false;
    await core.flush();
    expect(adapter.commits).toEqual([[{ topic: 'orders', partition: 0, offset: '1' }]]);
    expect(warn).toHaveBeenCalled();
  });
});
