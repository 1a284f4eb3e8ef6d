import { waitFor } from '@test/support';
import { postJson } from './http';
import type { AppProcess } from '@test/support';
import { spoolMetric, spoolStatus } from './spool-probe';
import { SteadyLoad, type LoadSummary } from './steady-load';

/** How a test takes the broker away from ingest and gives it back. */
export interface Outage {
  down(): Promise<void>;
  /** Resolves once the broker accepts connections again. */
  up(): Promise<void>;
}

/** Timing of {@link steadyLoadThroughOutage}. */
export interface OutageTiming {
  /** Healthy traffic before the outage. */
  readonly beforeMs: number;
  /** How long the broker stays down under load (at least). */
  readonly downMs: number;
  /** The whole run lasts at least this long. */
  readonly minRunMs: number;
}

/** What happened during the run, for the assertions. */
export interface OutageRun {
  readonly load: LoadSummary;
  /** spool_events_spooled_total when the broker came back: events that went to the spool. */
  readonly spooled: number;
  /** The deepest the spool was seen while polling. */
  readonly maxDepth: number;
}

/**
 * Sends steady traffic to ingest (50 req/s of page-view batches with client eventIds) while the
 * broker goes down for `downMs` and comes back, and keeps sending until the spool has drained and
 * the run has lasted `minRunMs`. Waits are polls on what ingest reports, not fixed sleeps, except
 * for the outage's own length.
 */
export async function steadyLoadThroughOutage(
  ingest: AppProcess,
  outage: Outage,
  idPrefix: string,
  timing: OutageTiming,
): Promise<OutageRun> {
  const load = new SteadyLoad({ url: ingest.url, idPrefix });
  let maxDepth = 0;
  const depth = async () => {
    const status = await spoolStatus(ingest.url);
    maxDepth = Math.max(maxDepth, status.depth);
    return status.depth;
  };
  load.start();
  try {
    await waitFor(() => load.elapsedMs >= timing.beforeMs && load.accepted > 0, {
      timeoutMs: timing.beforeMs + 20_000,
      description: 'healthy traffic answered before the outage',
    });
    await outage.down();
    const downAt = load.elapsedMs;
    // The outage must really reach ingest: its publishes fail and events go to the spool.
    await waitFor(async () => (await spoolMetric(ingest.url, 'spool_events_spooled_total')) > 0, {
      timeoutMs: 20_000,
      intervalMs: 200,
      description: 'ingest spooling after the broker went down',
    });
    // Hold the outage under traffic, sampling the spool's depth meanwhile.
    const held = async () => {
      await depth();
      return load.elapsedMs - downAt >= timing.downMs;
    };
    await waitFor(held, {
      timeoutMs: timing.downMs + 20_000,
      intervalMs: 200,
      description: `${timing.downMs} ms of traffic with the broker down`,
    });
    const spooled = await spoolMetric(ingest.url, 'spool_events_spooled_total');
    await outage.up();
    await waitFor(async () => (await depth()) === 0 && load.elapsedMs >= timing.minRunMs, {
      timeoutMs: Math.max(60_000, timing.minRunMs),
      intervalMs: 200,
      description: 'the spool drained after the broker came back',
    });
    // Some traffic on the direct path again, after the replay.
    const acceptedAtDrain = load.accepted;
    await waitFor(() => load.accepted >= acceptedAtDrain + 25, {
      timeoutMs: 20_000,
      description: 'traffic after the drain',
    });
    return { load: await load.stop(), spooled, maxDepth };
  } catch (error) {
    const summary = await load.stop();
    throw new Error(
      `${(error as Error).message} (load: ${summary.accepted}/${summary.requests} accepted, ` +
        `first failures: ${JSON.stringify(summary.failures.slice(0, 3))})\n--- ingest output ---\n${ingest.output()}`,
    );
  }
}

/** Sends `requests` page-view batches of `batchSize` at once; every one must be answered 202. */
export async function sendBatches(
  url: string,
  idPrefix: string,
  requests: number,
  batchSize: number,
): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: requests }, async (_, r) => {
      const ids = Array.from({ length: batchSize }, (_, i) => `${idPrefix}-${r}-${i}`);
      const answer = await postJson(
        `${url}/v1/page-views`,
        ids.map((eventId) => ({ pageId: `crash-${r % 5}`, eventId })),
      );
      return { ids, answer };
    }),
  );
  const refused = answers
    .filter((a) => a.answer.status !== 202)
    .map((a) => `${a.answer.status} ${JSON.stringify(a.answer.body)}`);
  if (refused.length > 0)
    throw new Error(
      `${refused.length} of ${requests} requests not accepted: ${refused.slice(0, 3).join('; ')}`,
    );
  return answers.flatMap((a) => a.ids);
}

/** Resolves once ingest reports an empty spool (everything replayed to the broker). */
export async function spoolDrained(url: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(async () => (await spoolStatus(url)).depth === 0, {
    timeoutMs,
    intervalMs: 200,
    description: 'the spool drained',
  });
}
