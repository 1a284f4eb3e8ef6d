/**
 * The value of the first sample of `name` in a Prometheus text exposition whose line contains
 * every one of `fragments` (label pairs such as `queue="x"`); 0 when there is none.
 */
export function metricSample(text: string, name: string, ...fragments: string[]): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) &&
        fragments.every((fragment) => l.includes(fragment)),
    );
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
