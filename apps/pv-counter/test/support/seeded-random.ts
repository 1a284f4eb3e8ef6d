/**
 * A seeded pseudo-random sequence (mulberry32: 32-bit state, uniform in [0, 1)), for test data
 * that must be the same on every run: the unique-visitor estimate of a set of ids depends on
 * which ids it holds, so random ids would make a HyperLogLog's error a coin toss per run.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
