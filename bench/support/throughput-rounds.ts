/**
 * Throughput measured in several rounds, ours and the baseline in turn in each: one run's ratio
 * moves with the machine (the expert benchmark's baseline ranged over 118,500–174,500 views/s in
 * four runs), so the round with the median ratio is the one reported.
 */

/** One round: ours' and the baseline's rate, measured one after the other. */
export interface RoundRates {
  readonly ours: number;
  readonly baseline: number;
}

/** BENCH_ROUNDS as a round count: a whole number ≥ 1, `fallback` when unset. */
export function benchRounds(fallback = 1, value = process.env.BENCH_ROUNDS): number {
  if (value === undefined || value === '') return fallback;
  const rounds = Number(value);
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`BENCH_ROUNDS must be a whole number >= 1, not "${value}"`);
  return rounds;
}

/** The ratio ours/baseline of a round. */
export function ratioOf(round: RoundRates): number {
  return round.baseline > 0 ? round.ours / round.baseline : 0;
}

/** The round whose ratio is the median (of an even count, the lower of the middle two). */
export function medianRound(rounds: readonly RoundRates[]): RoundRates {
  if (rounds.length === 0) throw new Error('no rounds measured');
  const sorted = [...rounds].sort((a, b) => ratioOf(a) - ratioOf(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** Every round's ratio in the order run, and the median: `0.46, 0.60, 0.51 (median 0.51)`. */
export function describeRounds(rounds: readonly RoundRates[]): string {
  const ratios = rounds.map((round) => ratioOf(round).toFixed(2)).join(', ');
  return `${ratios} (median ${ratioOf(medianRound(rounds)).toFixed(2)})`;
}

/** Which side a round measures first: ours in odd rounds, the baseline in even ones. */
export function oursFirst(round: number): boolean {
  return round % 2 === 1;
}

/**
 * Measures one round, the two sides one after the other in the order {@link oursFirst} gives, so
 * that over several rounds neither always has the machine first (each `measure` resolves with a
 * rate and leaves nothing running).
 */
export async function measureRound(
  round: number,
  measureOurs: () => Promise<number>,
  measureBaseline: () => Promise<number>,
): Promise<RoundRates> {
  if (oursFirst(round)) {
    const ours = await measureOurs();
    return { ours, baseline: await measureBaseline() };
  }
  const baseline = await measureBaseline();
  return { ours: await measureOurs(), baseline };
}

/**
 * Measures rounds 1 to `count` ({@link measureRound}), each side given the round's number, and
 * tells `report` each round's rates as it ends.
 */
export async function measureRounds(
  count: number,
  measureOurs: (round: number) => Promise<number>,
  measureBaseline: (round: number) => Promise<number>,
  report: (round: number, rates: RoundRates) => void,
): Promise<RoundRates[]> {
  const rounds: RoundRates[] = [];
  for (let round = 1; round <= count; round++) {
    const rates = await measureRound(
      round,
      () => measureOurs(round),
      () => measureBaseline(round),
    );
    report(round, rates);
    rounds.push(rates);
  }
  return rounds;
}
