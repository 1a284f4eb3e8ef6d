/** `1500` → `1500ms`, `10000` → `10s`, `60000` → `1m`, `3600000` → `1h`: the suffix of retry names. */
export function formatDelay(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/** Broker names for stream `S` consumed by group `G` (docs/contract.md). */
export const topologyNames = {
  kafka: {
    topic: (stream: string) => stream,
    retryTopic: (stream: string, group: string, delayMs: number) =>
      `${stream}.${group}.retry.${formatDelay(delayMs)}`,
    deadLetterTopic: (stream: string, group: string) => `${stream}.${group}.dlt`,
  },
  rabbitmq: {
    exchange: (stream: string) => stream,
    queue: (group: string, stream: string) => `${group}.${stream}`,
    retryQueue: (group: string, stream: string, delayMs: number) =>
      `${group}.${stream}.retry.${formatDelay(delayMs)}`,
    failedQueue: (group: string, stream: string) => `${group}.${stream}.failed`,
  },
} as const;
