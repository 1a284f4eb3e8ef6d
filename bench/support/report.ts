/** Formats a rate for the report, e.g. `123 456 msg/s`. */
export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} msg/s`;
}

/**
 * Prints the headline as the benchmark's last line (docs/contract.md):
 * `<name>: ours=<x> baseline=<y> ratio=<x/y>` (higher is better).
 */
export function printHeadline(name: string, ours: number, baseline: number): void {
  const ratio = baseline > 0 ? ours / baseline : 0;
  console.log(
    `${name}: ours=${Math.round(ours)} baseline=${Math.round(baseline)} ratio=${ratio.toFixed(2)}`,
  );
}

/** Measures how long `run` takes, in ms. */
export async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = process.hrtime.bigint();
  const result = await run();
  return { result, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/**
 * How ours compares with the baseline on a cost (lower is better), as `2.0× less` or, when ours
 * costs more, `1.9× more`: a ratio printed as `0.5× less` reads as a saving.
 */
export function costFactor(baseline: number, ours: number): string {
  if (ours <= 0 || baseline <= 0) return '– (nothing to compare)';
  return ours <= baseline
    ? `${(baseline / ours).toFixed(1)}× less`
    : `${(ours / baseline).toFixed(1)}× more`;
}
