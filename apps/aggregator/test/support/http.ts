/** Small HTTP helpers for the aggregator's e2e specs. */

/** A response's status and parsed JSON body. */
export interface JsonResponse<T> {
  readonly status: number;
  readonly body: T;
}

/** GET `url`, JSON answer. */
export async function getJson<T>(url: string): Promise<JsonResponse<T>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  return { status: response.status, body: (await response.json()) as T };
}

/** POSTs a JSON array to ingest and returns the event ids of its 202; throws on anything else. */
export async function postEvents(url: string, events: readonly object[]): Promise<string[]> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { accepted: number; eventIds: string[] };
  if (response.status !== 202)
    throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(body)}`);
  return body.eventIds;
}
