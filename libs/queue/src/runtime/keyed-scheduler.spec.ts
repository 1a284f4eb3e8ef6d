import { KeyedScheduler } from './keyed-scheduler';

function harness(concurrency: number) {
  const started: string[] = [];
  const running = new Map<string, () => void>();
  const scheduler = new KeyedScheduler<{ key: string | null; name: string }>(
    concurrency,
    (item) => {
      started.push(item.name);
      return new Promise<void>((resolve) => running.set(item.name, resolve));
    },
  );
  const push = (key: string | null, name: string) => scheduler.push(key, { key, name });
  const finish = async (name: string) => {
    running.get(name)!();
    running.delete(name);
    await new Promise((r) => setImmediate(r));
  };
  return { scheduler, started, running, push, finish };
}

describe('KeyedScheduler', () => {
  it('runs different keys in parallel up to the concurrency', () => {
    const h = harness(2);
    h.push('a', 'a1');
    h.push('b', 'b1');
    h.push('c', 'c1');
    expect(h.started).toEqual(['a1', 'b1']);
    expect(h.scheduler.size).toBe(3);
  });

  it('runs one key in push order, each after the previous one settled', async () => {
    const h = harness(4);
    h.push('a', 'a1');
    h.push('a', 'a2');
    h.push('b', 'b1');
    h.push('a', 'a3');
    expect(h.started).toEqual(['a1', 'b1']);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'b1', 'a2']);
    await h.finish('b1');
    expect(h.started).toEqual(['a1', 'b1', 'a2']);
    await h.finish('a2');
    expect(h.started).toEqual(['a1', 'b1', 'a2', 'a3']);
  });

  it('gives a freed slot to the key that waited longest', async () => {
    const h = harness(2);
    h.push('a', 'a1');
    h.push('b', 'b1');
    h.push('c', 'c1');
    h.push('d', 'd1');
    await h.finish('b1');
    expect(h.started).toEqual(['a1', 'b1', 'c1']);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'b1', 'c1', 'd1']);
  });

  it('ignores keys with a concurrency of 1', async () => {
    const h = harness(1);
    h.push('a', 'a1');
    h.push('b', 'b1');
    expect(h.started).toEqual(['a1']);
    await h.finish('a1');
    expect(h.started).toEqual(['a1', 'b1']);
  });

  it('keeps events without a key in order among themselves', async () => {
    const h = harness(3);
    h.push(null, 'n1');
    h.push(null, 'n2');
    h.push('a', 'a1');
    expect(h.started).toEqual(['n1', 'a1']);
    await h.finish('n1');
    expect(h.started).toEqual(['n1', 'a1', 'n2']);
  });

  it('resolves idle() once everything settled, also after a rejection', async () => {
    let reject!: (e: Error) => void;
    const scheduler = new KeyedScheduler<number>(2, () => new Promise((_, r) => (reject = r)));
    await expect(scheduler.idle()).resolves.toBeUndefined();
    scheduler.push('a', 1);
    let idle = false;
    const waiting = scheduler.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false);
    reject(new Error('boom'));
    await waiting;
    expect(scheduler.size).toBe(0);
  });

  it('rejects a concurrency below 1', () => {
    expect(() => new KeyedScheduler(0, async () => undefined)).toThrow(/concurrency/);
  });
});
