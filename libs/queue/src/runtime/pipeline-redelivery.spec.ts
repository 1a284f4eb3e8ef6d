import type { IncomingEvent } from '../incoming-event';
import { RedeliverError } from '../queue.errors';
import {
  binding,
  deferred,
  failureHandler,
  flush,
  MemorySink,
  record,
} from '../../test/runtime-kit';
import { createPartitionPipeline, type PartitionPipelineOptions } from './partition-pipeline';

/** A rewinding pipeline whose redelivery calls are recorded. */
function rewinding(options: Omit<PartitionPipelineOptions, 'redelivery'>) {
  const calls: string[] = [];
  const pipeline = createPartitionPipeline({
    ...options,
    redelivery: {
      mode: 'rewind',
      stopReading: () => calls.push('stop'),
      readFrom: (offset) => calls.push(`from ${offset}`),
    },
  });
  return { pipeline, calls };
}

describe('redelivery in the partition pipelines', () => {
  it('record mode: rewinds to the record that asked, once running work settled, and skips what finished after it', async () => {
    const sink = new MemorySink();
    const seen: string[] = [];
    const slow = deferred();
    let asked = false;
    const b = binding(
      async (e: IncomingEvent) => {
        seen.push(e.eventId);
        if (e.eventId === 'e1' && !asked) {
          asked = true;
          throw new RedeliverError('dropped unapplied');
        }
        if (e.eventId === 'e2') await slow.promise;
      },
      { concurrency: 3 },
    );
    const finished: string[] = [];
    const { pipeline, calls } = rewinding({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
      onFinished: (m) => finished.push(m.position.offset),
    });
    // Keys: e1 and e3 share key a (e3 waits for e1), e2 runs beside them on key b.
    pipeline.dispatch(record(0, 'z'));
    pipeline.dispatch(record(1, 'a'));
    pipeline.dispatch(record(2, 'b'));
    pipeline.dispatch(record(3, 'a'));
    await flush();
    expect(calls).toEqual(['stop']); // e2 still runs: the rewind waits for it
    expect(seen).toEqual(['e0', 'e1', 'e2']); // e3 did not start
    slow.resolve();
    await pipeline.idle();
    await flush();
    expect(calls).toEqual(['stop', 'from 1']);
    expect(pipeline.commitOffset).toBe('1');
    expect(pipeline.inFlight).toBe(0);
    // The transport reads the partition again from offset 1.
    for (let i = 1; i < 5; i++) pipeline.dispatch(record(i, i === 2 ? 'b' : 'a'));
    await pipeline.idle();
    expect(seen).toEqual(['e0', 'e1', 'e2', 'e1', 'e3', 'e4']);
    expect(pipeline.commitOffset).toBe('5');
    expect(sink.retried).toEqual([]);
    expect(sink.deadLettered).toEqual([]);
    expect(finished).toEqual(['0', '2', '2', '1', '3', '4']);
  });

  it('batch mode: a batch whose pending work is discarded is read again whole; buffered records are dropped', async () => {
    const sink = new MemorySink();
    const batches: string[][] = [];
    const work = deferred();
    const b = binding(
      (events: IncomingEvent[]) => {
        batches.push(events.map((e) => e.eventId));
        return batches.length === 1 ? { pending: work.promise } : {};
      },
      { batchSize: 3 },
    );
    const { pipeline, calls } = rewinding({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
    });
    for (let i = 0; i < 5; i++) pipeline.dispatch(record(i, 'k'));
    await flush();
    expect(batches).toEqual([['e0', 'e1', 'e2']]);
    work.reject(new RedeliverError('queue closed'));
    await pipeline.idle();
    await flush();
    expect(calls).toEqual(['stop', 'from 0']);
    expect(batches).toEqual([['e0', 'e1', 'e2']]); // e3, e4 were dropped, not handed on
    expect(pipeline.inFlight).toBe(0);
    expect(pipeline.commitOffset).toBeUndefined();
    for (let i = 0; i < 5; i++) pipeline.dispatch(record(i, 'k'));
    await pipeline.idle();
    expect(batches).toEqual([
      ['e0', 'e1', 'e2'],
      ['e0', 'e1', 'e2'],
      ['e3', 'e4'],
    ]);
    expect(pipeline.commitOffset).toBe('5');
    expect(sink.retried).toEqual([]);
    expect(sink.deadLettered).toEqual([]);
  });

  it('requeue mode: hands the record to the transport, lets the prefix pass it, and does not report it finished', async () => {
    const sink = new MemorySink();
    const b = binding((e: IncomingEvent) => {
      if (e.eventId === 'e1') throw new RedeliverError('fenced');
    });
    const requeued: string[] = [];
    const finished: string[] = [];
    const pipeline = createPartitionPipeline({
      binding: b,
      failures: failureHandler(b, sink),
      transport: 'test',
      onFinished: (m) => finished.push(m.position.offset),
      redelivery: { mode: 'requeue', requeue: (m) => requeued.push(m.position.offset) },
    });
    for (let i = 0; i < 3; i++) pipeline.dispatch(record(i, 'k'));
    await pipeline.idle();
    expect(requeued).toEqual(['1']);
    expect(finished).toEqual(['0', '2']);
    expect(pipeline.commitOffset).toBe('3');
    expect(sink.retried).toEqual([]);
    expect(sink.deadLettered).toEqual([]);
  });
});
