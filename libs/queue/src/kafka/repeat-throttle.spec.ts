import { RepeatThrottle } from './repeat-throttle';

describe('RepeatThrottle', () => {
  it('lets a line through once per interval and counts the repeats it held back', () => {
    let now = 0;
    const throttle = new RepeatThrottle(10_000, () => now);
    expect(throttle.pass('refused')).toBe('refused');
    now = 1_000;
    expect(throttle.pass('refused')).toBeUndefined();
    expect(throttle.pass('refused')).toBeUndefined();
    expect(throttle.pass('other')).toBe('other');
    now = 10_000;
    expect(throttle.pass('refused')).toBe('refused (repeated 2 times since)');
    now = 20_000;
    expect(throttle.pass('refused')).toBe('refused');
  });

  it('forgets old lines rather than growing without bound', () => {
    const throttle = new RepeatThrottle(10_000, () => 0, 2);
    throttle.pass('a');
    throttle.pass('b');
    expect(throttle.pass('c')).toBe('c');
    expect(throttle.pass('a')).toBe('a');
  });

  it('counts lines with the same key as repeats', () => {
    const throttle = new RepeatThrottle(10_000, () => 0);
    expect(throttle.pass('restart in 786ms', 'restart')).toBe('restart in 786ms');
    expect(throttle.pass('restart in 760ms', 'restart')).toBeUndefined();
  });
});
