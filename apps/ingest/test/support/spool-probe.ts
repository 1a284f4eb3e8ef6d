/** The spool as `/health/ready` reports it (details `spool:ingest`). */
export interface SpoolStatus {
  /** HTTP status of /health/ready: 503 only while the spool is full (or shutting down); details either way. */
  readonly readyStatus: number;
  readonly breaker: string;
  readonly depth: number;
  readonly bytes: number;
}

/** Reads ingest's spool state from `/health/ready` (terminus format, also on 503). */
export async function spoolStatus(url: string): Promise<SpoolStatus> {
  const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5_000) });
  const body = (await response.json()) as {
    details?: Record<string, { breaker?: string; depth?: number; bytes?: number }>;
  };
  const spool = body.details?.['spool:ingest'];
  if (!spool || typeof spool.depth !== 'number') {
    throw new Error(`/health/ready has no spool:ingest details: ${JSON.stringify(body)}`);
  }
  return {
    readyStatus: response.status,
    breaker: String(spool.breaker),
    depth: spool.depth,
    bytes: spool.bytes ?? 0,
  };
}

/** The value of one unlabelled-or-spool-labelled sample of a Prometheus metric from `/metrics`. */
export async function spoolMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{spool="ingest"}`) || l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
