import { compareOffsets, nextOffset, OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it('commits only the finished prefix, whatever order records finish in', () => {
    const tracker = new OffsetTracker();
    const [a, b, c] = ['10', '11', '12'].map((o) => tracker.add(o));
    expect(tracker.inFlight).toBe(3);
    expect(tracker.commitOffset).toBeUndefined();
    tracker.complete(c);
    expect(tracker.commitOffset).toBeUndefined();
    tracker.complete(a);
    expect(tracker.commitOffset).toBe('11');
    tracker.complete(b);
    expect(tracker.commitOffset).toBe('13');
    expect(tracker.inFlight).toBe(0);
  });

  it('rewinds to the oldest unfinished record, naming the later ones that finished', () => {
    const tracker = new OffsetTracker();
    const [a, b, c, d] = ['3', '4', '5', '6'].map((o) => tracker.add(o));
    tracker.complete(a);
    tracker.complete(c);
    expect(tracker.rewind()).toEqual({ from: '4', finished: ['5'] });
    expect(tracker.inFlight).toBe(0);
    expect(tracker.commitOffset).toBe('4');
    tracker.complete(b); // a record forgotten by the rewind
    tracker.complete(d);
    expect(tracker.commitOffset).toBe('4');
    const again = tracker.add('4');
    tracker.complete(again);
    expect(tracker.commitOffset).toBe('5');
    expect(tracker.rewind()).toBeUndefined();
  });

  it('compares decimal offsets as numbers', () => {
    expect(compareOffsets('9', '10')).toBeLessThan(0);
    expect(compareOffsets('10', '9')).toBeGreaterThan(0);
    expect(compareOffsets('12', '12')).toBe(0);
    expect(compareOffsets('12', '13')).toBeLessThan(0);
  });

  it('handles gaps in offsets (compaction, transaction markers)', () => {
    const tracker = new OffsetTracker();
    const a = tracker.add('5');
    const b = tracker.add('9');
    tracker.complete(b);
    tracker.complete(a);
    expect(tracker.commitOffset).toBe('10');
  });

  it('ignores a second completion and unknown sequence numbers', () => {
    const tracker = new OffsetTracker();
    const a = tracker.add('0');
    tracker.add('1');
    tracker.complete(a);
    tracker.complete(a);
    tracker.complete(99);
    expect(tracker.inFlight).toBe(1);
    expect(tracker.commitOffset).toBe('1');
  });

  it('offers a moved offset once through takeCommit, and again after untake', () => {
    const tracker = new OffsetTracker();
    tracker.complete(tracker.add('0'));
    expect(tracker.takeCommit()).toBe('1');
    expect(tracker.takeCommit()).toBeUndefined();
    tracker.untake('1');
    expect(tracker.takeCommit()).toBe('1');
    tracker.complete(tracker.add('1'));
    expect(tracker.takeCommit()).toBe('2');
  });

  it('keeps sequence numbers valid across compaction of a long run', () => {
    const tracker = new OffsetTracker();
    const held = tracker.add('0');
    const rest: number[] = [];
    for (let i = 1; i < 10_000; i++) rest.push(tracker.add(String(i)));
    for (const s of rest) tracker.complete(s);
    expect(tracker.commitOffset).toBeUndefined();
    tracker.complete(held);
    expect(tracker.commitOffset).toBe('10000');
    for (let i = 10_000; i < 20_000; i++) tracker.complete(tracker.add(String(i)));
    expect(tracker.commitOffset).toBe('20000');
    const late = tracker.add('20000');
    tracker.complete(late);
    expect(tracker.commitOffset).toBe('20001');
  });

  it('nextOffset adds one beyond the safe integer range', () => {
    expect(nextOffset('41')).toBe('42');
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });
});
