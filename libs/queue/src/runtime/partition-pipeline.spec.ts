import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MalformedPayloadError } from '@lib/retry';
import type { IncomingEvent } from '../incoming-event';
import { createPartitionPipeline, type PartitionPipelineOptions } from './partition-pipeline';
import {
  binding,
  deferred,
  failureHandler,
  flush,
  MemorySink,
  record,
} from '../../test/runtime-kit';

describe('PartitionPipeline', () => {
  it('commits past a failed record once it was handed to the retry sink, not before', async () => {
    const sink = new MemorySink();
    const publish = deferred();
    sink.retry = async (m) => {
      await publish.promise;
      sink.retried.push(m);
    };
    const b = binding((e: IncomingEvent<{ fail?: boolean }>) => {
      if (e.payload.fail) throw new Error('boom');
    });
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    pipeline.dispatch(record(0, 'a', { fail: true }));
    pipeline.dispatch(record(1, 'a'));
    await flush();
    expect(pipeline.commitOffset).toBeUndefined();
    expect(pipeline.inFlight).toBe(2);
    publish.resolve();
    await pipeline.idle();
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['0']);
    expect(pipeline.commitOffset).toBe('2');
    expect(pipeline.inFlight).toBe(0);
  });

  it('never commits past a handler that has not resolved, while later records finish', async () => {
    const gates = new Map<string, ReturnType<typeof deferred<void>>>();
    const b = binding(
      (e: IncomingEvent) => {
        const gate = deferred();
        gates.set(e.eventId, gate);
        return gate.promise;
      },
      { concurrency: 3 },
    );
    const pipeline = pipelineOf({ binding: b, failures: failureHandler(b), transport: 'test' });
    for (const [offset, key] of [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ] as const)
      pipeline.dispatch(record(offset, key));
    await flush();
    expect([...gates.keys()]).toEqual(['e0', 'e1', 'e2']);
    gates.get('e1')!.resolve();
    gates.get('e2')!.resolve();
    await flush();
    expect(pipeline.commitOffset).toBeUndefined();
    gates.get('e0')!.resolve();
    await pipeline.idle();
    expect(pipeline.commitOffset).toBe('3');
  });

  it('dead-letters a malformed record without calling the handler', async () => {
    const sink = new MemorySink();
    const handler = jest.fn();
    const b = binding(handler);
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    pipeline.dispatch({ ...record(0, 'a'), value: Buffer.from('nope') });
    await pipeline.idle();
    expect(handler).not.toHaveBeenCalled();
    expect(sink.deadLettered).toHaveLength(1);
    expect(pipeline.commitOffset).toBe('1');
  });

  it('batches records in order and fails only the events a BatchResult names', async () => {
    const sink = new MemorySink();
    const batches: string[][] = [];
    const b = binding(
      (events: IncomingEvent[]) => {
        batches.push(events.map((e) => e.eventId));
        return { failed: [{ eventId: 'e3', error: new Error('bad one') }] };
      },
      { batchSize: 4 },
    );
    const finished: string[] = [];
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
      onFinished: (m) => finished.push(m.position.offset),
    });
    for (let i = 0; i < 10; i++) pipeline.dispatch(record(i, `k${i % 3}`));
    await pipeline.idle();
    expect(batches).toEqual([
      ['e0', 'e1', 'e2', 'e3'],
      ['e4', 'e5', 'e6', 'e7'],
      ['e8', 'e9'],
    ]);
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['3']);
    expect(finished).toHaveLength(10);
    expect(pipeline.commitOffset).toBe('10');
  });

  it('fails every event of a batch whose handler throws, and leaves malformed ones out of the batch', async () => {
    const sink = new MemorySink();
    const seen: number[] = [];
    const b = binding(
      (events: IncomingEvent[]) => {
        seen.push(events.length);
        throw new Error('db down');
      },
      { batchSize: 10 },
    );
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    pipeline.dispatch(record(0, 'a'));
    pipeline.dispatch({ ...record(1, 'a'), value: Buffer.from('{}') });
    pipeline.dispatch(record(2, 'a'));
    await pipeline.idle();
    expect(seen).toEqual([2]);
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['0', '2']);
    expect(sink.deadLettered.map((m) => m.position.offset)).toEqual(['1']);
    expect(pipeline.commitOffset).toBe('3');
  });

  it('finishes the events of a batch whose work is pending once it resolves, and fails them if it rejects', async () => {
    const sink = new MemorySink();
    const work = [deferred(), deferred()];
    let call = 0;
    const b = binding(
      (events: IncomingEvent[]) => ({
        failed: [{ eventId: events[0].eventId, error: new Error('bad one') }],
        pending: work[call++].promise,
      }),
      { batchSize: 3, concurrency: 2 },
    );
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    pipeline.dispatch({ ...record(0, 'a'), value: Buffer.from('nope') });
    for (let i = 1; i < 6; i++) pipeline.dispatch(record(i, 'a'));
    for (let turn = 0; turn < 5; turn++) await flush(); // the second batch starts a turn after the first
    // Batches of records [0, 1, 2] (0 malformed) and [3, 4, 5]: their first events failed at once, the rest wait.
    expect(sink.deadLettered.map((m) => m.position.offset)).toEqual(['0']);
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['1', '3']);
    expect(pipeline.inFlight).toBe(3);
    expect(pipeline.commitOffset).toBe('2');
    work[0].resolve();
    await flush();
    expect(pipeline.commitOffset).toBe('4');
    work[1].reject(new Error('flush abandoned'));
    await pipeline.idle();
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['1', '3', '4', '5']);
    expect(pipeline.commitOffset).toBe('6');
  });

  it('lets go of the parsed events of a batch while its pending work is under way', async () => {
    const gc = runGc();
    const work = deferred();
    let seen: WeakRef<IncomingEvent[]> | undefined;
    const b = binding(
      (events: IncomingEvent[]) => {
        seen = new WeakRef(events);
        return Promise.resolve({ pending: work.promise });
      },
      { batchSize: 10 },
    );
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b),
      transport: 'test',
    });
    for (let i = 0; i < 10; i++) pipeline.dispatch(record(i, 'a'));
    await flush();
    // A WeakRef's target is kept until the job that made it ends.
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    expect(seen).toBeDefined();
    expect(seen!.deref()).toBeUndefined();
    expect(pipeline.inFlight).toBe(10);
    work.resolve();
    await pipeline.idle();
    expect(pipeline.commitOffset).toBe('10');
  });

  it('maps a BatchResult failure to the right record when a malformed one came before it', async () => {
    const sink = new MemorySink();
    const batches: string[][] = [];
    const b = binding(
      (events: IncomingEvent[]) => {
        batches.push(events.map((e) => e.eventId));
        return events.some((e) => e.eventId === 'e3')
          ? { failed: [{ eventId: 'e3', error: new Error('bad one') }] }
          : {};
      },
      { batchSize: 4 },
    );
    const pipeline = pipelineOf({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    for (let i = 0; i < 6; i++)
      pipeline.dispatch(
        i === 1 ? { ...record(1, 'a'), value: Buffer.from('not json') } : record(i, 'a'),
      );
    await pipeline.idle();
    for (let i = 6; i < 8; i++) pipeline.dispatch(record(i, 'a'));
    await pipeline.idle();
    expect(batches).toEqual([
      ['e0', 'e2', 'e3'],
      ['e4', 'e5'],
      ['e6', 'e7'],
    ]);
    expect(sink.deadLettered.map((m) => m.position.offset)).toEqual(['1']);
    expect(sink.retried.map((m) => m.position.offset)).toEqual(['3']);
    expect(pipeline.commitOffset).toBe('8');
  });

  it('keeps up to `concurrency` batches outstanding, started in order', async () => {
    const gates: Array<ReturnType<typeof deferred<void>>> = [];
    const starts: string[] = [];
    const b = binding(
      (events: IncomingEvent[]) => {
        starts.push(events[0].eventId);
        const gate = deferred();
        gates.push(gate);
        return gate.promise;
      },
      { batchSize: 2, concurrency: 2 },
    );
    const pipeline = pipelineOf({ binding: b, failures: failureHandler(b), transport: 'test' });
    for (let i = 0; i < 6; i++) pipeline.dispatch(record(i, 'same'));
    // Batches start one per turn of the event loop (each handler first runs its synchronous part).
    for (let turn = 0; turn < 4; turn++) await flush();
    expect(starts).toEqual(['e0', 'e2']);
    gates[0].resolve();
    await flush();
    expect(starts).toEqual(['e0', 'e2', 'e4']);
    gates[1].resolve();
    gates[2].resolve();
    await pipeline.idle();
    expect(pipeline.commitOffset).toBe('6');
  });

  it('holds the records already read while held (a paused stream), and hands them on in order when released', async () => {
    const starts: string[] = [];
    const b = binding(
      (events: IncomingEvent[]) => {
        starts.push(...events.map((e) => e.eventId));
      },
      { batchSize: 2, concurrency: 10 },
    );
    const pipeline = pipelineOf({ binding: b, failures: failureHandler(b), transport: 'test' });
    pipeline.dispatch(record(0, 'a'));
    pipeline.dispatch(record(1, 'b'));
    await flush();
    expect(starts).toEqual(['e0', 'e1']);
    pipeline.hold(true);
    for (let i = 2; i < 7; i++) pipeline.dispatch(record(i, 'c'));
    await flush();
    expect(starts).toEqual(['e0', 'e1']);
    expect(pipeline.inFlight).toBe(5);
    pipeline.hold(false);
    await pipeline.idle();
    expect(starts).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6']);
    expect(pipeline.commitOffset).toBe('7');
  });

  it('leaves a record unfinished when its failure cannot be published before shutdown', async () => {
    const b = binding(() => {
      throw new MalformedPayloadError('x');
    });
    const sink = new MemorySink();
    sink.deadLetter = () => Promise.reject(new Error('broker down'));
    const failures = failureHandler(b, sink);
    const pipeline = pipelineOf({ binding: b, failures, transport: 'test' });
    pipeline.dispatch(record(0, 'a'));
    await flush();
    failures.stop();
    await pipeline.idle();
    expect(pipeline.commitOffset).toBeUndefined();
    expect(pipeline.inFlight).toBe(1);
  });
});

/** A pipeline that rewinds on redelivery without a transport to read again. */
function pipelineOf(options: Omit<PartitionPipelineOptions, 'redelivery'>) {
  return createPartitionPipeline({
    ...options,
    redelivery: { mode: 'rewind', stopReading: () => undefined, readFrom: () => undefined },
  });
}

/** A full garbage collection, without starting jest with --expose-gc. */
function runGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
