import { DeadLetterDepths } from './dead-letter-depths';
import type { DeadLetterAdmin } from './dead-letters';

function adminCounting(depths: Record<string, number | Error | Promise<number>>) {
  const calls: string[] = [];
  const admin = {
    depth: async (stream: string) => {
      calls.push(stream);
      const value = depths[stream];
      if (value instanceof Error) throw value;
      return value;
    },
  } as unknown as DeadLetterAdmin;
  return { admin, calls, depths };
}

describe('DeadLetterDepths', () => {
  it('asks the broker once per stream, then reuses the counts until they are old', async () => {
    const { admin, calls, depths } = adminCounting({ a: 2, b: 0 });
    const cache = new DeadLetterDepths(admin, 50, 1_000);
    expect([...(await cache.current(['a', 'b']))]).toEqual([
      ['a', 2],
      ['b', 0],
    ]);
    depths.a = 5;
    expect((await cache.current(['a', 'b'])).get('a')).toBe(2);
    expect(calls).toEqual(['a', 'b']);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect((await cache.current(['a', 'b'])).get('a')).toBe(5);
    expect(calls).toHaveLength(4);
  });

  it('keeps the last count of a stream whose count fails, and leaves out one never counted', async () => {
    const { admin, depths } = adminCounting({ a: 3, b: new Error('unreachable') });
    const cache = new DeadLetterDepths(admin, 0, 1_000);
    expect([...(await cache.current(['a', 'b']))]).toEqual([['a', 3]]);
    depths.a = new Error('unreachable');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect([...(await cache.current(['a', 'b']))]).toEqual([['a', 3]]);
  });

  it('does not hold a scrape longer than the wait when the broker is slow', async () => {
    let answer!: (n: number) => void;
    const { admin } = adminCounting({ a: new Promise<number>((r) => (answer = r)) });
    const cache = new DeadLetterDepths(admin, 0, 50);
    const started = Date.now();
    expect((await cache.current(['a'])).get('a')).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_000);
    answer(7);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await cache.current(['a'])).get('a')).toBe(7);
  });
});
