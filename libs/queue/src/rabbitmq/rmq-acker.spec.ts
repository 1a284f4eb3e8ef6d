import { RmqAcker } from './rmq-acker';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('RmqAcker', () => {
  function setup() {
    const acks: Array<[number, boolean]> = [];
    const finished = new Set<number>();
    const prefix = () => {
      let n = 0;
      while (finished.has(n + 1)) n++;
      return n;
    };
    const nacks: number[] = [];
    const acker = new RmqAcker(
      (tag, multiple) => acks.push([tag, multiple]),
      prefix,
      (tag) => nacks.push(tag),
    );
    const finish = (...tags: number[]) => {
      for (const tag of tags) {
        finished.add(tag);
        acker.finished(tag);
      }
    };
    return { acker, acks, nacks, finished, finish };
  }

  it('requeues a delivery at once and never names it in an ack', async () => {
    const { acker, acks, nacks, finished, finish } = setup();
    finish(1);
    acker.requeue(2);
    finished.add(2); // settled: the prefix moves past it
    finish(3);
    expect(nacks).toEqual([2]);
    await turn();
    expect(acks).toEqual([[3, true]]);
    acker.close();
    acker.requeue(4);
    expect(nacks).toEqual([2]);
  });

  it('acks what finished in one turn with one multiple ack', async () => {
    const { acks, finish } = setup();
    finish(1, 2, 3, 4);
    expect(acks).toEqual([]);
    await turn();
    expect(acks).toEqual([[4, true]]);
  });

  it('acks deliveries ahead of an unfinished one singly, and never names an acked tag in a multiple ack', async () => {
    const { acks, finish } = setup();
    finish(1, 3, 4);
    await turn();
    expect(acks).toEqual([
      [1, true],
      [3, false],
      [4, false],
    ]);
    finish(2); // 3 and 4 were acked already: the multiple ack must name 2, not 4
    await turn();
    expect(acks.slice(3)).toEqual([[2, true]]);
    finish(5, 6);
    await turn();
    expect(acks.slice(4)).toEqual([[6, true]]);
  });

  it('flushes on demand, and drops pending acks once closed (the broker requeues those)', async () => {
    const { acker, acks, finish } = setup();
    finish(1, 2);
    acker.flush();
    expect(acks).toEqual([[2, true]]);
    finish(3);
    acker.close();
    await turn();
    finish(4);
    acker.flush();
    expect(acks).toEqual([[2, true]]);
    expect(acker.size).toBe(0);
  });
});
